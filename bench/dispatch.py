"""In-process dispatch benchmark: the same small app as a bare WSGI callable (the floor), on raw
werkzeug (Map + Request + Response), on this framework and on Flask.

Run: ``make bench`` (or ``python -m bench.dispatch [--quick] [--repeat N] [--case NAME]``).

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
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
import jinja2
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WzRequest
from werkzeug.wrappers import Response as WzResponse

import flasklite as fw
from bench import blueprint_case

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
TEMPLATE = "<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul><p>{{ name }}</p>\n"
ITEMS = [f"item <{i}>" for i in range(10)]
N_RULES = 100


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None
    status: int = 200


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
        "blueprint", "GET /v1/ping in a blueprint + its before_request", "GET", blueprint_case.PATH
    ),
]


def item(item_id: int) -> dict[str, Any]:
    return {"id": item_id, "name": f"item {item_id}", "quantity": 3}


def created(data: dict[str, Any]) -> dict[str, Any]:
    return {"id": 4, "name": data["name"], "quantity": data["quantity"]}


# -- the contenders ---------------------------------------------------------------------------


def make_bare(template_dir: str) -> WSGIApp:
    """The floor: plain WSGI, routing by string comparison, no objects."""
    page = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir), autoescape=True
    ).get_template("page.html")
    item_re = re.compile(r"/api/items/(\d+)\Z")
    rule_re = re.compile(r"/r(\d+)/(\d+)\Z")

    def answer(start_response: Any, status: str, ctype: str, body: bytes) -> list[bytes]:
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        text, js = "text/html; charset=utf-8", "application/json"
        if path == "/hello" and method == "GET":
            return answer(start_response, "200 OK", text, b"Hello, World!")
        if path == "/api/items" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = json.loads(environ["wsgi.input"].read(length))
            body = json.dumps(created(data), separators=(",", ":")).encode() + b"\n"
            return answer(start_response, "201 CREATED", js, body)
        if path.startswith("/page/") and method == "GET":
            html = page.render(items=ITEMS, name=path[6:]).encode()
            return answer(start_response, "200 OK", text, html)
        if (m := item_re.match(path)) and method == "GET":
            body = json.dumps(item(int(m[1])), separators=(",", ":")).encode() + b"\n"
            return answer(start_response, "200 OK", js, body)
        if (m := rule_re.match(path)) and int(m[1]) < N_RULES and method == "GET":
            return answer(start_response, "200 OK", text, f"r{m[1]} {m[2]}".encode())
        if (pong := blueprint_case.bare_answer(path, method)) is not None:
            return answer(start_response, "200 OK", text, pong)
        return answer(start_response, "404 NOT FOUND", text, b"<h1>Not Found</h1>")

    return application


def make_werkzeug(template_dir: str) -> WSGIApp:
    """Raw werkzeug: a Map bound per request, Request and Response objects."""
    jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), autoescape=True)
    rules = [
        Rule("/hello", endpoint="hello", methods=["GET"]),
        Rule("/api/items/<int:item_id>", endpoint="get_item", methods=["GET"]),
        Rule("/api/items", endpoint="create_item", methods=["POST"]),
        Rule("/page/<name>", endpoint="page", methods=["GET"]),
    ]
    rules += [Rule(f"/r{i}/<int:n>", endpoint=f"r{i}", methods=["GET"]) for i in range(N_RULES)]
    rules.append(Rule(blueprint_case.PATH, endpoint="v1.ping", methods=["GET"]))
    url_map = Map(rules)

    def to_json(data: Any, status: int = 200) -> WzResponse:
        body = json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"
        return WzResponse(body, status=status, mimetype="application/json")

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = WzRequest(environ)
        adapter = url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            if endpoint == "hello":
                response = WzResponse("Hello, World!", mimetype="text/html")
            elif endpoint == "get_item":
                response = to_json(item(args["item_id"]))
            elif endpoint == "create_item":
                response = to_json(created(request.get_json()), 201)
            elif endpoint == "page":
                html = jinja.get_template("page.html").render(items=ITEMS, name=args["name"])
                response = WzResponse(html, mimetype="text/html")
            elif endpoint == "v1.ping":
                pong = f"pong {blueprint_case.hook_value()}"
                response = WzResponse(pong, mimetype="text/html")
            else:
                response = WzResponse(f"{endpoint} {args['n']}", mimetype="text/html")
        except HTTPException as e:
            return e(environ, start_response)
        return response(environ, start_response)

    return application


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
    blueprint_case.add_to_framework_app(app, mod)
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
        name: normalise(case, *call_once(a, template, case.body)) for name, a in contenders.items()
    }
    expected = answers["flask"]
    code = expected if isinstance(expected, int) else expected[0]
    if code != case.status:
        raise SystemExit(f"{case.name}: flask answered {code}, expected {case.status}")
    for name, answer in answers.items():
        if answer != expected:
            raise SystemExit(f"{case.name}: {name} answered {answer!r}, flask {expected!r}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as template_dir:
        Path(template_dir, "page.html").write_text(TEMPLATE, encoding="utf-8")
        contenders: dict[str, WSGIApp] = {
            "bare": make_bare(template_dir),
            "werkzeug": make_werkzeug(template_dir),
            "framework": build_framework_app(fw.Flask, template_dir),
            "flask": build_framework_app(flask.Flask, template_dir),
        }
        rows = []
        for case in CASES:
            if args.case and case.name not in args.case:
                continue
            template = make_environ(case)
            check(case, contenders, template)
            numbers = {
                name: calibrate(application, template, case.body, args.budget)
                for name, application in contenders.items()
            }
            runs: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(args.repeat):  # round-robin: load bursts hit every contender
                for name, application in contenders.items():
                    seconds = time_app(application, template, case.body, numbers[name])
                    runs[name].append(seconds / numbers[name] * 1e6)
            timings: dict[str, dict[str, float]] = {
                name: {
                    "best_us": min(values),
                    "median_us": statistics.median(values),
                    "number": numbers[name],
                }
                for name, values in runs.items()
            }
            flask_us = timings["flask"]["best_us"]
            for t in timings.values():
                t["speedup_vs_flask"] = flask_us / t["best_us"]
            rows.append(
                {
                    "case": case.name,
                    "description": case.description,
                    "timings": timings,
                    "framework_vs_bare": timings["framework"]["best_us"]
                    / timings["bare"]["best_us"],
                }
            )
            print_row(rows[-1])
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
            "werkzeug": _version("werkzeug"),
            "jinja2": _version("jinja2"),
            "flask": _version("flask"),
        },
        "method": {
            "repeat": args.repeat,
            "budget_s": args.budget,
            "clock": args.clock,
            "statistic": "best of repeat, contenders interleaved",
        },
        "rows": rows,
    }


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


HEADER = (
    f"{'case':<10} {'bare µs':>9} {'werkzeug µs':>12} {'framework µs':>13} {'flask µs':>9}"
    f" {'fw xfaster than flask':>22} {'fw / bare':>10}"
)


def print_row(row: dict[str, Any]) -> None:
    t = row["timings"]
    print(
        f"{row['case']:<10} {t['bare']['best_us']:>9.2f} {t['werkzeug']['best_us']:>12.2f}"
        f" {t['framework']['best_us']:>13.2f} {t['flask']['best_us']:>9.2f}"
        f" {t['framework']['speedup_vs_flask']:>21.1f}x {row['framework_vs_bare']:>9.2f}x",
        flush=True,
    )


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
        f" flask {_version('flask')}; {os.cpu_count()} CPUs; best of {args.repeat} runs,"
        f" {args.clock} clock"
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
