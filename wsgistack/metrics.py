"""Prometheus metrics for a WSGI app served by several gunicorn workers.

Per request (``MetricsMiddleware``, outside the app's own middleware):

- ``http_requests_total{method, route, status}``: a counter;
- ``http_request_duration_seconds{method, route, status}``: a histogram, from the request's
  arrival in the middleware until the app hands back its response (a streamed body's time after
  that is not included);
- ``http_requests_in_flight``: a gauge, summed over the live workers.

``route`` is the URL rule that matched (``/api/items/<int:item_id>``), never the raw path, so a
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

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from werkzeug.routing import Map

    from flasklite import Flask

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# By the first digit of the status line; anything else (a broken app) counts as a server error.
STATUS_CLASSES = {"1": "1xx", "2": "2xx", "3": "3xx", "4": "4xx", "5": "5xx"}
# Seconds. Dense where a healthy request falls, up to past nginx's proxy_read_timeout (30 s).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by method, matched URL rule and status class.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival until the app returned its response.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
# A metric without labels opens its multiprocess file when created: this one is made on the
# first request, in the worker, since the directory may not exist yet while gunicorn's master
# imports the app.
_in_flight: list[Gauge] = []
_in_flight_lock = threading.Lock()


def in_flight_gauge() -> Gauge:
    with _in_flight_lock:
        if not _in_flight:
            _in_flight.append(
                Gauge(
                    "http_requests_in_flight",
                    "Requests being handled right now.",
                    multiprocess_mode="livesum",
                )
            )
        return _in_flight[0]


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
    """The ``route`` label of a request: the rule string of ``url_map``'s match, or UNMATCHED.

    The framework matches every request itself, but reading ``request.url_rule`` after the fact
    would make it build the ``Request`` object it skips for plain requests. So the label is
    looked up here: a dict lookup for a rule without variables (most traffic), werkzeug's own
    matcher (``MapAdapter.match``, public API) for the rest. A path that matches a rule for
    another method is labelled with that rule.
    """

    def __init__(self, url_map: Map) -> None:
        self.url_map = url_map
        self._static: dict[str, str] | None = None
        self._adapter: Any = None

    def _build(self) -> dict[str, str]:
        # Built on first use, when every route is registered; the same in every worker.
        static = {rule.rule: rule.rule for rule in self.url_map.iter_rules() if not rule.arguments}
        self._adapter = self.url_map.bind("metrics.invalid")
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
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import RequestRedirect
        from werkzeug.wsgi import get_path_info

        try:
            matched, _args = self._adapter.match(
                get_path_info(environ), environ.get("REQUEST_METHOD", "GET"), return_rule=True
            )
        except (HTTPException, RequestRedirect):  # 404, 405, the 308 to the slash URL
            return UNMATCHED
        return str(matched.rule)


class MetricsMiddleware:
    """Counts and times every request (see the module docstring).

    Kept cheap because it runs on every request: the label children of each (method, route,
    status) are created once and kept in a dict, so a request costs a tuple, a dict lookup and
    five writes into prometheus_client's values.
    """

    def __init__(self, wsgi_app: WSGIApplication, route_of: RouteOf) -> None:
        self.wsgi_app = wsgi_app
        self.route_of = route_of
        self._series: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._in_flight: Gauge | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        status_box = ["500"]

        def start_with_status(status: str, headers: Any, exc_info: Any = None) -> Any:
            status_box[0] = status
            return start_response(status, headers, exc_info)

        in_flight = self._in_flight
        if in_flight is None:
            in_flight = self._in_flight = in_flight_gauge()
        in_flight.inc()
        try:
            return self.wsgi_app(environ, start_with_status)
        except BaseException:
            status_box[0] = "500"  # the server answers 500 for an app that raised
            raise
        finally:
            in_flight.dec()
            self.record(environ, status_box[0], time.perf_counter() - started)

    def record(self, environ: WSGIEnvironment, status: str, seconds: float) -> None:
        method: str = environ.get("REQUEST_METHOD", "")
        if method not in KNOWN_METHODS:
            method = OTHER_METHOD
        key = (method, self.route_of(environ), STATUS_CLASSES.get(status[:1], "5xx"))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (REQUESTS.labels(*key), LATENCY.labels(*key))
        series[0].inc()
        series[1].observe(seconds)


def install_metrics(app: Flask) -> MetricsMiddleware:
    """Wrap ``app.wsgi_app`` (call it after the app's own middleware, so it is outermost)."""
    middleware = MetricsMiddleware(app.wsgi_app, UrlRuleLabels(app.url_map))
    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.extensions["wsgistack.metrics"] = middleware
    return middleware
