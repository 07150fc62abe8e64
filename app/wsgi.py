"""The production entry point: ``gunicorn app.wsgi:app``."""

from __future__ import annotations

from app import create_app

app = create_app()

if app.debug:
    # Debug mode under a production server propagates exceptions and reloads templates, and
    # usually means someone copied a development .env into production: stop here, loudly.
    raise RuntimeError(
        "APP_DEBUG is on, but app.wsgi is the production entry point. Debug mode is for the "
        "development server only (`make dev`); unset APP_DEBUG for gunicorn."
    )
