"""The service's ``SECRET_KEY``: where it comes from, and when it is not good enough.

It signs the session cookie, so anyone who knows it can sign in as anyone. It comes from
``APP_SECRET_KEY_FILE`` (a file, as Docker and Kubernetes mount secrets) or ``APP_SECRET_KEY``,
never both; with neither, from ``/run/secrets/app_secret_key`` when that file exists (where
docker-compose.yml mounts the ``app_secret_key`` secret). Outside production a missing key is
replaced by a random one per process (sessions then end when the process does); the production
entry point (``wsgistack.for_production``, called by ``app.wsgi``) refuses to start with a
missing, short or placeholder key instead.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flasklite import Flask

#: Values copied from examples and tutorials; a key equal to one of them is no secret.
PLACEHOLDERS = frozenset(
    {
        "change-me",
        "changeme",
        "change_me",
        "replace-me",
        "please-change-me",
        "secret",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "dev",
        "development",
        "test",
        "testing",
        "default",
        "placeholder",
        "todo",
        "xxx",
    }
)
MIN_LENGTH = 32
#: Docker's place for a secret named ``app_secret_key``: read when nothing else is configured.
DEFAULT_KEY_FILE = Path("/run/secrets/app_secret_key")
GENERATE_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def read_configured_key(config: Any) -> tuple[str | None, str]:
    """The key the deployment configured, and where it came from ("file", "environment" or
    "none"). A file that cannot be read is an error, not a missing key."""
    path = config.get("SECRET_KEY_FILE")
    value = config.get("SECRET_KEY")
    if path and value:
        raise ValueError("Set APP_SECRET_KEY or APP_SECRET_KEY_FILE, not both.")
    if not path and value is None and DEFAULT_KEY_FILE.is_file():
        path = DEFAULT_KEY_FILE
    if path:
        try:
            text = Path(str(path)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"APP_SECRET_KEY_FILE={path!r} cannot be read: {error}") from None
        return text.strip(), "file"  # files written by editors end with a newline
    if value is None:
        return None, "none"
    return str(value), "environment"  # APP_* values are parsed as JSON: digits come as int


def weakness(key: str | None) -> str | None:
    """Why ``key`` must not sign production sessions, or None when it is acceptable."""
    if not key or not key.strip():
        return "it is empty"
    if key.strip().lower() in PLACEHOLDERS:
        return "it is a placeholder from an example"
    if len(key) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    return None


def configure_secret_key(app: Flask) -> None:
    """Set ``SECRET_KEY`` from the configuration, or a random per-process key without one."""
    key, source = read_configured_key(app.config)
    if key is None:
        key, source = secrets.token_urlsafe(MIN_LENGTH), "generated"
    app.config["SECRET_KEY"] = key
    app.extensions["secret_key_source"] = source


def require_production_secret_key(app: Flask) -> None:
    """Refuse to serve production traffic with a key that protects nothing."""
    source = app.extensions.get("secret_key_source", "none")
    if source in ("none", "generated"):
        problem = "no key is configured"
    else:
        problem = weakness(app.config.get("SECRET_KEY")) or ""
    if problem:
        raise RuntimeError(
            f"Refusing to start: SECRET_KEY signs the session cookie, but {problem}. Set"
            f" APP_SECRET_KEY_FILE to a file holding the key (a Docker/Kubernetes secret) or"
            f" APP_SECRET_KEY; {GENERATE_HINT}."
        )
