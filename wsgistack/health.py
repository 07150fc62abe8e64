"""Liveness and readiness, which nginx, compose, Swarm and Kubernetes probe in every service.

``/healthz`` answers 200 as long as the process serves requests: no dependency is checked on
purpose, so a slow database never makes an orchestrator kill a healthy process. ``/readyz``
answers 503 until ``wsgistack.install`` has finished, then asks each readiness check the service
registered (``add_readiness_check``), in order: the first that answers a reply decides; with
none (a service without a database has none), the app is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flasklite import Blueprint, Flask, current_app

#: A readiness check returns None when its dependency is ready, else the (JSON body, status)
#: /readyz answers instead (503 for "not yet").
ReadinessCheck = Callable[[], tuple[dict[str, Any], int] | None]

READY_KEY = "ready"
CHECKS_KEY = "wsgistack.readiness_checks"

health = Blueprint("machinery_health", __name__)


def add_readiness_check(app: Flask, check: ReadinessCheck) -> None:
    """Make ``/readyz`` ask ``check`` too (called in a request, so ``current_app`` works)."""
    app.extensions.setdefault(CHECKS_KEY, []).append(check)


@health.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    if not current_app.extensions.get(READY_KEY, False):
        return {"status": "starting"}, 503
    checks: list[ReadinessCheck] = current_app.extensions.get(CHECKS_KEY, [])
    for check in checks:
        reply = check()
        if reply is not None:
            return reply
    return {"status": "ready"}, 200
