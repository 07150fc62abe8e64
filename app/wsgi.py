"""The production entry point: ``gunicorn app.wsgi:app``."""

from __future__ import annotations

# Imported here, once, rather than by the first request of every worker: gunicorn imports this
# module in its master (preload_app) and forks the workers from it. The TRUSTED_HOSTS check
# (werkzeug's host_is_trusted) encodes each new Host with the "idna" codec, whose first use
# imports encodings.idna and stringprep: 5 million instructions, paid again by every recycled
# worker otherwise.
import encodings.idna  # noqa: F401

from app import create_app
from app.secret_key import require_production_secret_key

app = create_app()

if app.debug:
    # Debug mode under a production server propagates exceptions and reloads templates, and
    # usually means someone copied a development .env into production: stop here, loudly.
    raise RuntimeError(
        "APP_DEBUG is on, but app.wsgi is the production entry point. Debug mode is for the "
        "development server only (`make dev`); unset APP_DEBUG for gunicorn."
    )

# Production signs real users' sessions: no missing, short or example key (see app/secret_key.py).
require_production_secret_key(app)
