"""A throwaway ``SECRET_KEY`` for the stacks the developer tools start on this machine.

``app.wsgi`` refuses to start without a real key (see ``app/secret_key.py``). The local stacks,
benchmarks and contract servers are not production, but they run that same entry point, so they
get a random key, one per process: every replica and worker of one stack shares it (a session
made by one is valid on another), and nothing is written to disk. A key the caller configured
(``APP_SECRET_KEY`` or ``APP_SECRET_KEY_FILE``) is always left alone.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping

_THIS_PROCESS_KEY = secrets.token_urlsafe(32)


def with_dev_secret_key(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with ``APP_SECRET_KEY`` set when it configures no key of its own."""
    if not env.get("APP_SECRET_KEY") and not env.get("APP_SECRET_KEY_FILE"):
        env["APP_SECRET_KEY"] = _THIS_PROCESS_KEY
    return env
