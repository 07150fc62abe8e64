"""What the metrics middleware (wsgistack/metrics.py) adds to one request, in-process.

    python -m bench.metrics_cost [--calls 20000]

Values are written as under gunicorn, to prometheus_client's multiprocess files (a temporary
directory on /dev/shm), since those writes are most of the cost. Three requests, each timed
with and without the middleware (the best of three runs of ``--calls`` calls), on wsgistack's
probe routes, which every service has: a static route (``/_probe/text``), a route with a
variable (``/_probe/number/1``: the label needs werkzeug's matcher) and an unmatched path (a
404). Prints microseconds per request and the difference. A measurement, not a gate: exit 0
either way.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

PATHS = ("/_probe/text", "/_probe/number/1", "/no/such/page")


def per_request_us(wsgi_app: Callable[..., Any], path: str, calls: int) -> float:
    from bench.http import in_process_us

    if path == PATHS[0]:  # the environ bench.http builds already asks for it
        return in_process_us(wsgi_app, calls)

    def on_path(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["PATH_INFO"] = path
        return wsgi_app(environ, start_response)

    return in_process_us(on_path, calls)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args(argv)

    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    directory = tempfile.mkdtemp(prefix="bench-metrics-", dir=base)
    # Before prometheus_client is first imported: it picks its value class then.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        from app import create_app

        app = create_app()
        middleware = app.extensions["wsgistack.metrics"]
        print(f"metrics middleware, in-process, best of 3 x {args.calls} calls (multiprocess)")
        print(f"{'request':<16} {'without µs':>11} {'with µs':>9} {'cost µs':>9}")
        for path in PATHS:
            without = per_request_us(middleware.wsgi_app, path, args.calls)
            with_metrics = per_request_us(app, path, args.calls)
            print(
                f"{path:<16} {without:>11.2f} {with_metrics:>9.2f} {with_metrics - without:>9.2f}"
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
