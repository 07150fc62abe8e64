"""The settings the machinery reads, whatever the service: documented defaults, overridden by
``APP_*`` environment variables, then checked.

Every key here can be set as ``APP_<KEY>`` (``APP_MAX_CONTENT_LENGTH=1048576``). Values are read
as JSON when they parse as JSON, so numbers and ``true``/``false`` arrive typed; ``check_settings``
then turns the loose spellings people actually use (``1``, ``yes``, ``on``) into booleans and
refuses values that would only fail later, at the first request. A service adds its own keys
with ``load_settings(app, defaults=...)`` and checks them itself (app/config.py).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from flasklite import Flask

ENV_PREFIX = "APP"

DEFAULTS: dict[str, Any] = {
    # Display name in pages and logs; `make new-service` renames it.
    "SERVICE_NAME": "wsgi-stack",
    # Dev only: the production entry point refuses to start with it on (wsgistack.for_production).
    "DEBUG": False,
    "TESTING": False,
    # Turns on the /_diag/* endpoints that reveal the WSGI environ: development and tests only.
    "DIAGNOSTICS": False,
    # Request body limit in bytes; nginx's client_max_body_size is derived from the same value.
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    # Host names the app answers for; any other Host header gets 400, so no link or redirect is
    # ever built from a name a client made up. A JSON list or comma-separated; ".example.com"
    # also matches its subdomains. Add your public name(s) here for production. No IPv6 literal
    # ("[::1]"): werkzeug's check cuts a listed name at its first ":", so one can never match.
    "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
    # Proxies in front of the app whose X-Forwarded-* headers are trusted (1 behind nginx).
    "TRUSTED_PROXY_COUNT": 0,
    "LOG_LEVEL": "INFO",
    # Sent as X-Served-By so a client (and the scale-out tests) can tell replicas apart.
    "INSTANCE_NAME": socket.gethostname(),
    "SERVER_NAME": None,
    # Signs the session cookie (wsgistack/secret_key.py). Set one of the two in production: the
    # key, or better a file holding it (a Docker/Kubernetes secret); production refuses to start
    # without.
    "SECRET_KEY": None,
    "SECRET_KEY_FILE": None,
}

_BOOLEAN_KEYS = ("DEBUG", "TESTING", "DIAGNOSTICS")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{ENV_PREFIX}_{key}={value!r} is not a boolean (use true or false)")


def as_int(key: str, value: Any, minimum: int) -> int:
    # bool is an int subclass and 1.5 would truncate silently: both are mistakes, not numbers.
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{ENV_PREFIX}_{key}={value!r} is not a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{ENV_PREFIX}_{key}={value!r} is not a whole number") from None
    if number < minimum:
        raise ValueError(f"{ENV_PREFIX}_{key}={number} must be at least {minimum}")
    return number


def as_host_list(key: str, value: Any) -> list[str] | None:
    """A list of host names from a list or a comma-separated string; "*" means any host."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"{ENV_PREFIX}_{key}={value!r} is not a list of host names")
    hosts = [item.strip() for item in items if item.strip()]
    if hosts == ["*"]:
        return None
    if not hosts or "*" in hosts:
        raise ValueError(f"{ENV_PREFIX}_{key}={value!r}: list host names, or only '*' for any")
    literals = [host for host in hosts if ":" in host]
    if literals:
        raise ValueError(
            f"{ENV_PREFIX}_{key}: {', '.join(literals)} can never match (the check ignores "
            "everything from the first ':', so IPv6 literals and ports cannot be listed); "
            "list host names"
        )
    # Host names are case-insensitive; the check compares them as given (lowercase).
    return [host.lower() for host in hosts]


def check_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the typed, validated values of the machinery's keys."""
    checked: dict[str, Any] = {key: as_bool(key, config[key]) for key in _BOOLEAN_KEYS}
    checked["MAX_CONTENT_LENGTH"] = as_int("MAX_CONTENT_LENGTH", config["MAX_CONTENT_LENGTH"], 1)
    checked["TRUSTED_PROXY_COUNT"] = as_int("TRUSTED_PROXY_COUNT", config["TRUSTED_PROXY_COUNT"], 0)
    checked["TRUSTED_HOSTS"] = as_host_list("TRUSTED_HOSTS", config["TRUSTED_HOSTS"])
    level = str(config["LOG_LEVEL"]).upper()
    if level not in _LOG_LEVELS:
        choices = ", ".join(sorted(_LOG_LEVELS))
        raise ValueError(f"{ENV_PREFIX}_LOG_LEVEL={config['LOG_LEVEL']!r} is not one of {choices}")
    checked["LOG_LEVEL"] = level
    checked["SERVICE_NAME"] = str(config["SERVICE_NAME"])
    checked["INSTANCE_NAME"] = str(config["INSTANCE_NAME"])
    return checked


def load_settings(
    app: Flask,
    overrides: Mapping[str, Any] | None = None,
    *,
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Fill ``app.config``: the machinery's defaults, the service's ``defaults``, the instance
    folder's ``config.py`` (settings for one deployment, kept out of git), ``APP_*`` variables,
    then ``overrides``; later ones win. The machinery's keys are checked here."""
    app.config.from_mapping(DEFAULTS)
    if defaults:
        app.config.from_mapping(defaults)
    app.config.from_pyfile(os.path.join(app.instance_path, "config.py"), silent=True)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.from_mapping(overrides)
    app.config.update(check_settings(app.config))
