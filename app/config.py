"""The example service's settings: the machinery's (wsgistack/settings.py: body limit, trusted
hosts and proxies, log level, diagnostics, the session key...) plus its own below.

Every key can be set as ``APP_<KEY>``; ``create_app`` reads them through
``wsgistack.settings.load_settings``. Add your service's keys to ``SERVICE_DEFAULTS``.
"""

from __future__ import annotations

from typing import Any

from wsgistack import settings

ENV_PREFIX = settings.ENV_PREFIX

SERVICE_DEFAULTS: dict[str, Any] = {
    # Who may sign in (app/auth.py): a JSON object of name -> werkzeug password hash.
    "SIGNIN_USERS": {},
}

#: Every key the service runs with: ``show-config`` prints them, the tests clear their variables.
DEFAULTS: dict[str, Any] = {**settings.DEFAULTS, **SERVICE_DEFAULTS}
