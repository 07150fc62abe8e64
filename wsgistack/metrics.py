"""Prometheus metrics for a WSGI app served by several gunicorn workers.

Per request (``MetricsMiddleware``, outside the app's own middleware):

- ``http_request_duration_seconds{method, route, status}``: a histogram, from the request's
  arrival in the middleware until the app hands back its response (a streamed body's time after
  that is not included). Its ``_count`` is the request count: a separate counter would cost a
  third write per request and say the same;
- ``http_requests_in_flight``: a gauge, summed over the live workers, sampled every second.

``route`` is the URL rule that matched (``/_probe/number/<int(max=1000000):number>``), never the raw path, so a
scanner's random paths cannot grow the number of series: every request that matched no rule
shares ``route="unmatched"``. ``method`` is one of the standard methods or ``other``; ``status``
is the class (``2xx`` .. ``5xx``). gunicorn.conf.py adds ``gunicorn_worker_restarts_total``
(``wsgistack.gunicorn_hooks``), and the database layer reports its pool through
``db_pool_metrics()``.

Under gunicorn the values live in prometheus_client's multiprocess files
(``PROMETHEUS_MULTIPROC_DIR``, a tmpfs), which survive a worker that is killed; the master
merges them when scraped. Outside gunicorn (tests, ``make dev``) they are ordinary in-process
values.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import Gauge, Histogram
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wsgi import get_path_info

from flasklite.routing import match_pattern, wsgi_path_text

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from flasklite import Flask

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# By the first digit of the status line; anything else (a broken app) counts as a server error.
STATUS_CLASSES = {"1": "1xx", "2": "2xx", "3": "3xx", "4": "4xx", "5": "5xx"}
# Seconds. Dense where a healthy request falls, up to past nginx's proxy_read_timeout (30 s).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival until the app returned its response.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
SAMPLE_SECONDS = 1.0
_now = time.perf_counter


class InFlight:
    """Requests in flight in this process, published to ``http_requests_in_flight`` once a
    second by a daemon thread rather than written on every request: two fewer writes into the
    multiprocess files per request, for a gauge that Prometheus reads every few seconds anyway.

    A request is a token in a list (``append`` and ``pop`` are atomic in CPython, so threads
    need no lock). The gauge and the thread are made on the first request of each process: a
    forked worker starts its own, and a metric without labels opens its multiprocess file when
    created, which must not happen in gunicorn's master before the directory exists.
    """

    def __init__(self) -> None:
        self.tokens: list[None] = []
        self.sampling = False
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.tokens = []
        self.sampling = False
        self._lock = threading.Lock()

    def start_sampling(self) -> None:
        with self._lock:
            if self.sampling:
                return
            gauge = in_flight_gauge()
            thread = threading.Thread(
                target=self._publish, args=(gauge,), name="metrics-in-flight", daemon=True
            )
            thread.start()
            self.sampling = True

    def _publish(self, gauge: Gauge) -> None:
        published = -1
        while True:
            count = len(self.tokens)
            if count != published:
                gauge.set(count)
                published = count
            time.sleep(SAMPLE_SECONDS)


_in_flight_gauges: list[Gauge] = []


def in_flight_gauge() -> Gauge:
    # One per process (the registry refuses a second metric of the same name).
    if not _in_flight_gauges:
        _in_flight_gauges.append(
            Gauge(
                "http_requests_in_flight",
                "Requests being handled right now (sampled every second).",
                multiprocess_mode="livesum",
            )
        )
    return _in_flight_gauges[0]


DB_POOL = Gauge(
    "db_pool_connections",
    "Database pool connections by state (in_use, idle), summed over the live workers.",
    ["state"],
    multiprocess_mode="livesum",
)


class DbPoolMetrics:
    """What the database layer calls whenever its pool changes (``set(in_use, idle)``)."""

    def __init__(self) -> None:
        self._in_use = DB_POOL.labels("in_use")
        self._idle = DB_POOL.labels("idle")

    def set(self, in_use: int, idle: int) -> None:
        self._in_use.set(in_use)
        self._idle.set(idle)


def db_pool_metrics() -> DbPoolMetrics:
    return DbPoolMetrics()


RouteOf = Callable[["WSGIEnvironment"], str]


class UrlRuleLabels:
    """The ``route`` label of a request: the rule string of the rule the app matches, or
    UNMATCHED.

    The framework matches every request itself, but reading ``request.url_rule`` after the fact
    would make it build the ``Request`` object it skips for plain requests. So the label is
    looked up here, the way the framework looks up a rule: a dict lookup for a rule without
    variables (most traffic), then the framework's table of rules by shape (``match_pattern``,
    the step ``match_request`` takes), and werkzeug's own matcher (``MapAdapter.match``) only
    for what that table leaves to it. A path no rule of this method matches is UNMATCHED.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._static: dict[str, str] | None = None
        self._adapter: Any = None

    def _build(self) -> dict[str, str]:
        # Built on first use, when every route is registered; the same in every worker.
        url_map = self.app.url_map
        static = {rule.rule: rule.rule for rule in url_map.iter_rules() if not rule.arguments}
        self._adapter = url_map.bind("metrics.invalid")
        self._static = static
        return static

    def __call__(self, environ: WSGIEnvironment) -> str:
        static = self._static
        if static is None:
            static = self._build()
        path: str = environ.get("PATH_INFO") or "/"
        rule = static.get(path)
        if rule is not None:
            return rule
        method = environ.get("REQUEST_METHOD", "GET").upper()
        shapes = self.app.shape_routes or self.app.build_shape_routes()
        try:
            found = match_pattern(shapes, wsgi_path_text(path), method)
            if found is None:
                found = self._adapter.match(get_path_info(environ), method, return_rule=True)
        except (HTTPException, RequestRedirect):  # 404, 405, the 308 to the slash URL
            return UNMATCHED
        return str(found[0].rule)


class MetricsMiddleware:
    """Counts and times every request (see the module docstring).

    Kept cheap because it runs on every request: the histogram's child for each (method, route,
    status) is made once and kept in a dict, so a request costs a tuple, a dict lookup and one
    ``observe`` (two writes into prometheus_client's values: a bucket and the sum).
    """

    def __init__(self, wsgi_app: WSGIApplication, route_of: RouteOf) -> None:
        self.wsgi_app = wsgi_app
        self.route_of = route_of
        self._series: dict[tuple[str, str, str], Any] = {}
        self.in_flight = InFlight()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = _now()
        status_box = ["500"]

        def start_with_status(status: str, headers: Any, exc_info: Any = None) -> Any:
            status_box[0] = status
            return start_response(status, headers, exc_info)

        in_flight = self.in_flight
        if not in_flight.sampling:
            in_flight.start_sampling()
        tokens = in_flight.tokens
        tokens.append(None)
        try:
            return self.wsgi_app(environ, start_with_status)
        except BaseException:
            status_box[0] = "500"  # the server answers 500 for an app that raised
            raise
        finally:
            tokens.pop()
            # Recorded here rather than in a method of its own: one call less per request.
            method: str = environ.get("REQUEST_METHOD", "")
            if method not in KNOWN_METHODS:
                method = OTHER_METHOD
            key = (method, self.route_of(environ), STATUS_CLASSES.get(status_box[0][:1], "5xx"))
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = LATENCY.labels(*key)
            series.observe(_now() - started)


def install_metrics(app: Flask) -> MetricsMiddleware:
    """Wrap ``app.wsgi_app`` (call it after the app's own middleware, so it is outermost)."""
    middleware = MetricsMiddleware(app.wsgi_app, UrlRuleLabels(app))
    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.extensions["wsgistack.metrics"] = middleware
    return middleware
