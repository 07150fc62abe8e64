"""The production entry point: ``gunicorn app.wsgi:app``."""

from __future__ import annotations

from app import create_app
from wsgistack import for_production

# Refuses debug mode and a missing, short or example session key (wsgistack/secret_key.py).
app = for_production(create_app())
