"""In-process dispatch benchmark: the same small app as a bare WSGI callable (the floor), on raw
werkzeug (Map + Request + Response), on this framework (flasklite), on its peers Bottle and
Falcon (each written the idiomatic way for it, ``bench/peers.py``) and on Flask.

Run: ``make bench`` (or ``python -m bench.dispatch [--quick] [--repeat N] [--case NAME]``). The
table shows microseconds per request and each contender's speed as a multiple of Flask's; below
it, the cases where Bottle or Falcon beat flasklite, and by how much. The JSON result goes to
``bench/results/dispatch-<time>.json`` (git-ignored) unless ``--output`` names a file.

Fairness: every contender is called through one harness, ``time_app``: the environ of each case
is built once with werkzeug's ``EnvironBuilder``; each request gets a fresh ``dict`` copy of it and
a fresh ``BytesIO`` body, calls the app, joins the body and calls ``close()``, exactly as a WSGI
server would. Before timing, every contender's answer is checked against the expected status and
body, so a contender cannot get faster by doing less. The garbage collector is paused while
timing, as ``timeit`` does, for all contenders alike.

Noise: the machine is shared, so (1) the contenders are timed round-robin inside each repeat, so
that a burst of load from elsewhere hits all of them rather than one, (2) the clock is this
process's CPU time by default (``--clock cpu``; time spent descheduled while other processes run
is not counted; ``--clock wall`` for wall time), and (3) the figure reported is the best of
``--repeat`` runs, with the median alongside in the JSON.

Adding a case: append a ``Case`` to ``CASES``. The flasklite and Flask apps are built by the same
code, so routes for a new case go into a function decorated with ``@flask_api_routes`` (it gets
the app and the module, ``flasklite`` or ``flask``, to take ``request``/``session``/``Blueprint``
from). A case that only those two implement says so with ``contenders=FLASK_API_ONLY``; the
others show "-" for it. ``environ`` adds request headers or other environ keys (a cookie, say).
A case whose set-up would change the shared apps' work (the session case's secret key) brings
apps of its own (``own_apps``), a check of its own (``verify``) and may add measurements to its
row (``explain``); ``not_applicable`` says why a contender has no column.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
from werkzeug.test import EnvironBuilder

import flasklite as fw
from bench import blueprint_case, session_case
from bench.app_data import ITEMS, N_RULES, TEMPLATE, WSGIApp, created, item
from bench.baselines import make_bare, make_werkzeug
from bench.peers import make_bottle, make_falcon
from bench.report import (
    CONTENDERS,
    HEADER,
    print_notes,
    print_row,
    print_summary,
    summarise,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FLASK_API_ONLY = ("framework", "flask")


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None
    status: int = 200
    #: The contenders that implement this case (all of them by default).
    contenders: tuple[str, ...] = CONTENDERS
    #: Extra environ keys for the request (``HTTP_COOKIE``, ...).
    environ: tuple[tuple[str, str], ...] = ()
    #: Builds the case's own contenders (name → app) instead of using the shared apps.
    own_apps: Callable[[str], dict[str, WSGIApp]] | None = None
    #: A check of the case's own before timing, besides "same status and body as Flask".
    verify: Callable[[dict[str, WSGIApp], dict[str, Any]], None] | None = None
    #: ``explain(apps, row, time_apps, time_call)``: extra figures for the row; its ``note``
    #: is printed under the table.
    explain: Callable[..., dict[str, Any]] | None = None
    #: Contenders left out, and why (a "-" in the table, the reason in the JSON).
    not_applicable: tuple[tuple[str, str], ...] = ()


CASES = [
    Case("static", "GET /hello → text", "GET", "/hello"),
    Case("int_json", "GET /api/items/<int> → JSON", "GET", "/api/items/42"),
    Case("not_found", "GET /missing → 404", "GET", "/missing", status=404),
    Case(
        "post_json",
        "POST /api/items JSON body → 201 JSON",
        "POST",
        "/api/items",
        body=b'{"name": "widget", "quantity": 2}',
        content_type="application/json",
        status=201,
    ),
    Case("template", "GET /page/<name> → Jinja template", "GET", "/page/Ada"),
    Case("rules_100", f"{N_RULES} converter rules, match the last", "GET", f"/r{N_RULES - 1}/7"),
    Case(
        "blueprint",
        "GET /v1/ping: blueprint with url_prefix + its before_request",
        "GET",
        blueprint_case.PATH,
        contenders=FLASK_API_ONLY,
    ),
    Case(
        "session",
        "GET /visits: verify the signed session cookie, count, sign and set it again",
        "GET",
        session_case.PATH,
        contenders=session_case.CONTENDERS,
        environ=tuple(session_case.SESSION_ENVIRON.items()),
        own_apps=session_case.build_apps,
        verify=session_case.verify,
        explain=session_case.explain,
        not_applicable=tuple(session_case.NOT_APPLICABLE.items()),
    ),
]


FlaskApiRoutes = Callable[[Any, Any], None]
_flask_api_routes: list[FlaskApiRoutes] = []


def flask_api_routes(add_routes: FlaskApiRoutes) -> FlaskApiRoutes:
    """Register ``add_routes(app, module)``: extra routes for the flasklite and Flask apps."""
    _flask_api_routes.append(add_routes)
    return add_routes


flask_api_routes(blueprint_case.add_to_framework_app)


# -- the contenders (bare and werkzeug in bench/baselines.py, Bottle and Falcon in peers.py) ---


def build_framework_app(cls: Any, template_dir: str) -> Any:
    """The same app for this framework and for Flask: the code is identical (Flask-compatible
    API); only the class and the helpers' module differ."""
    mod = fw if cls is fw.Flask else flask
    app = cls("bench", template_folder=template_dir, static_folder=None)

    @app.get("/hello")
    def hello() -> str:
        return "Hello, World!"

    @app.get("/api/items/<int:item_id>")
    def get_item(item_id: int) -> dict[str, Any]:
        return item(item_id)

    @app.post("/api/items")
    def create_item() -> tuple[dict[str, Any], int]:
        return created(mod.request.get_json()), 201

    @app.get("/page/<name>")
    def page(name: str) -> str:
        return str(mod.render_template("page.html", items=ITEMS, name=name))

    for i in range(N_RULES):
        app.add_url_rule(f"/r{i}/<int:n>", f"r{i}", lambda n, i=i: f"r{i} {n}")
    for add_routes in _flask_api_routes:
        add_routes(app, mod)
    return app


# -- the harness ------------------------------------------------------------------------------


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def make_environ(case: Case) -> dict[str, Any]:
    builder = EnvironBuilder(
        path=case.path, method=case.method, data=case.body or None, content_type=case.content_type
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ.pop("wsgi.input", None)
    environ.update(case.environ)
    return environ


def call_once(application: WSGIApp, template: dict[str, Any], body: bytes) -> tuple[str, bytes]:
    """One request, as a server makes it; returns (status, body) for the correctness check."""
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append(status)

    environ = dict(template)
    environ["wsgi.input"] = io.BytesIO(body)
    result = application(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return seen[0], data


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = time.process_time


def time_app(application: WSGIApp, template: dict[str, Any], body: bytes, number: int) -> float:
    """Seconds for ``number`` requests through the shared harness."""
    copy, bytes_io, join, start_response = dict, io.BytesIO, b"".join, _start_response
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = clock()
        for _ in range(number):
            environ = copy(template)
            environ["wsgi.input"] = bytes_io(body)
            result = application(environ, start_response)
            join(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return clock() - started
    finally:
        if gc_was_enabled:
            gc.enable()


def calibrate(application: WSGIApp, template: dict[str, Any], body: bytes, budget: float) -> int:
    number = 10
    while True:
        if time_app(application, template, body, number) >= budget or number >= 1_000_000:
            return number
        number *= 4


def normalise(case: Case, status: str, data: bytes) -> Any:
    code = int(status.split()[0])
    if case.status == 404:
        return code  # every contender has its own 404 page; the status must agree
    if data.lstrip().startswith((b"{", b"[")):
        return code, json.loads(data)
    return code, data


def check(case: Case, contenders: dict[str, WSGIApp], template: dict[str, Any]) -> None:
    answers = {
        name: normalise(case, *call_once(app, template, case.body))
        for name, app in contenders.items()
    }
    expected = answers["flask"]
    code = expected if isinstance(expected, int) else expected[0]
    if code != case.status:
        raise SystemExit(f"{case.name}: flask answered {code}, expected {case.status}")
    for name, answer in answers.items():
        if answer != expected:
            raise SystemExit(f"{case.name}: {name} answered {answer!r}, flask {expected!r}")


def build_contenders(template_dir: str) -> dict[str, WSGIApp]:
    # Looked up at call time, so a test can replace one builder.
    return {
        "bare": make_bare(template_dir),
        "werkzeug": make_werkzeug(template_dir),
        "framework": build_framework_app(fw.Flask, template_dir),
        "bottle": make_bottle(template_dir),
        "falcon": make_falcon(template_dir),
        "flask": build_framework_app(flask.Flask, template_dir),
    }


def time_round_robin(
    apps: dict[str, WSGIApp], template: dict[str, Any], body: bytes, args: argparse.Namespace
) -> tuple[dict[str, int], dict[str, list[float]]]:
    """Requests per timed run, and µs per request of each run, for every app."""
    numbers = {name: calibrate(app, template, body, args.budget) for name, app in apps.items()}
    runs: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.repeat):  # round-robin: load bursts hit every contender
        for name, application in apps.items():
            seconds = time_app(application, template, body, numbers[name])
            runs[name].append(seconds / numbers[name] * 1e6)
    return numbers, runs


def time_call(function: Callable[[], Any], args: argparse.Namespace) -> float:
    """Best µs per call of ``function`` over ``args.repeat`` runs of 1000 calls, on the
    benchmark's clock, with the collector paused."""
    best = float("inf")
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(args.repeat):
            started = clock()
            for _ in range(1000):
                function()
            best = min(best, (clock() - started) * 1e3)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best


def time_case(case: Case, apps: dict[str, WSGIApp], args: argparse.Namespace) -> dict[str, Any]:
    template = make_environ(case)
    check(case, apps, template)
    if case.verify is not None:
        case.verify(apps, template)
    numbers, runs = time_round_robin(apps, template, case.body, args)
    flask_best = min(runs["flask"])
    timings = {
        name: {
            "best_us": min(values),
            "median_us": statistics.median(values),
            "number": numbers[name],
            "speedup_vs_flask": flask_best / min(values),
        }
        for name, values in runs.items()
    }
    row: dict[str, Any] = {"case": case.name, "description": case.description, "timings": timings}
    if "bare" in timings:
        row["framework_vs_bare"] = timings["framework"]["best_us"] / timings["bare"]["best_us"]
    if case.not_applicable:
        row["not_applicable"] = dict(case.not_applicable)
    if case.explain is not None:

        def best_us(more: dict[str, WSGIApp]) -> dict[str, float]:
            runs = time_round_robin(more, template, case.body, args)[1]
            return {name: min(values) for name, values in runs.items()}

        row["explained"] = case.explain(
            apps, row, best_us, lambda function: time_call(function, args)
        )
    return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as template_dir:
        Path(template_dir, "page.html").write_text(TEMPLATE, encoding="utf-8")
        contenders = build_contenders(template_dir)
        rows = []
        for case in CASES:
            if args.case and case.name not in args.case:
                continue
            pool = contenders if case.own_apps is None else case.own_apps(template_dir)
            apps = {name: pool[name] for name in CONTENDERS if name in case.contenders}
            rows.append(time_case(case, apps, args))
            print_row(rows[-1])
    summary = summarise(rows)
    print_notes(rows)
    print_summary(summary)
    return {
        "benchmark": "bench.dispatch",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
        "versions": {
            dist: _version(dist) for dist in ("werkzeug", "jinja2", "flask", "bottle", "falcon")
        },
        "method": {
            "repeat": args.repeat,
            "budget_s": args.budget,
            "clock": args.clock,
            "statistic": "best of repeat, contenders interleaved",
        },
        "rows": rows,
        "summary": summary,
    }


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per contender and case")
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per timed run")
    parser.add_argument("--quick", action="store_true", help="repeat=3, budget=0.02 (smoke run)")
    parser.add_argument("--case", action="append", choices=[c.name for c in CASES])
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="default: cpu")
    parser.add_argument("--output", type=Path, default=None, help="JSON file to write")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.budget = 3, 0.02
    global clock
    clock = CLOCKS[args.clock]
    print(
        f"Python {platform.python_version()}, werkzeug {_version('werkzeug')},"
        f" flask {_version('flask')}, bottle {_version('bottle')}, falcon {_version('falcon')};"
        f" {os.cpu_count()} CPUs; best of {args.repeat} runs, {args.clock} clock"
    )
    print(HEADER)
    result = run(args)
    output = args.output
    if output is None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = RESULTS_DIR / f"dispatch-{stamp}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
