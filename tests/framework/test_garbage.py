"""A request leaves nothing for the cyclic garbage collector.

Objects in a reference cycle outlive their request until the collector runs; under a server the
environ in such a cycle holds the server's own per-request objects too, so every request would
feed the collector. Reference counting frees everything here the moment the request ends.
"""

from __future__ import annotations

import collections
import gc
import io
import types
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from flasklite import Flask, abort, request

from .conftest import AppFactory, call_wsgi


@pytest.fixture
def service(make_app: AppFactory) -> Flask:
    app = make_app()
    views: dict[str, tuple[str, Any]] = {
        "/text": ("GET", lambda: "text"),
        "/json/<int:n>": ("GET", lambda n: {"n": n}),
        "/echo": ("POST", lambda: {"got": request.get_json()}),
        "/form": ("POST", lambda: ",".join(sorted(request.files))),
        "/stream": ("GET", lambda: iter(["a", "b"])),
        "/abort": ("GET", lambda: abort(409)),
        "/boom": ("GET", lambda: 1 / 0),
        "/slash/": ("GET", lambda: "slash"),
        "/reads": ("GET", lambda: request.headers.get("User-Agent", "")),
    }
    for rule, (method, view) in views.items():
        app.add_url_rule(rule, rule, view, methods=[method])
    return app


@pytest.fixture
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# werkzeug's matcher searches with a nested function that refers to itself: one closure cycle per
# search, which is werkzeug's to fix (we use its public MapAdapter.match, not a copy of it).
_MATCHER_MODULE = "werkzeug.routing.matcher"


def _outside_werkzeug_matcher(garbage: list[Any]) -> list[Any]:
    """The garbage, minus the matcher's closures and what only they hold (cells, their sets)."""
    ids = {id(o) for o in garbage}
    skipped: set[int] = set()
    todo = [o for o in garbage if getattr(o, "__module__", None) == _MATCHER_MODULE]
    while todo:
        obj = todo.pop()
        if id(obj) in skipped:
            continue
        skipped.add(id(obj))
        if isinstance(obj, types.FunctionType | types.CellType | tuple | set | list):
            todo += [r for r in gc.get_referents(obj) if id(r) in ids]
    return [o for o in garbage if id(o) not in skipped]


def _unreachable_after(app: Flask, environ: dict[str, Any]) -> list[str]:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        call_wsgi(app, environ)
        gc.collect()
        kinds = collections.Counter(type(o).__name__ for o in _outside_werkzeug_matcher(gc.garbage))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return [f"{count} {kind}" for kind, count in kinds.most_common()]


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("GET", "/text", {}),
        ("GET", "/json/7", {}),
        ("GET", "/missing", {}),  # 404 from the matcher's search
        ("DELETE", "/text", {}),  # 405
        ("GET", "/slash", {}),  # 308 to the slash URL
        ("GET", "/abort", {}),
        ("GET", "/boom", {}),  # unhandled: logged, 500
        ("HEAD", "/text", {}),
        ("OPTIONS", "/text", {}),
        ("GET", "/stream", {}),
        ("GET", "/reads", {"headers": {"User-Agent": "probe"}}),
        ("POST", "/echo", {"json": {"a": 1}}),
        ("POST", "/echo", {"data": b"{bad", "content_type": "application/json"}),
        ("POST", "/form", {"data": lambda: {"upload": (io.BytesIO(b"x"), "f.txt")}}),
    ],
)
def test_request_leaves_no_reference_cycles(
    service: Flask, collector_paused: None, method: str, path: str, options: dict[str, Any]
) -> None:
    def environ() -> dict[str, Any]:
        # A callable option makes a fresh value per request (an upload's file is consumed).
        fresh = {key: value() if callable(value) else value for key, value in options.items()}
        builder = EnvironBuilder(path=path, method=method, **fresh)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    call_wsgi(service, environ())  # warm-up: first-request caches are not per-request garbage
    assert _unreachable_after(service, environ()) == []
