"""The service's pages: the ``pages`` blueprint, mounted at the site's root.

(/healthz, /readyz and the probe routes are the machinery's: wsgistack/health.py, probes.py.)
"""

from __future__ import annotations

from flasklite import Blueprint, Response, render_template

pages = Blueprint("pages", __name__)


@pages.get("/")
def index() -> str:
    from app.items import first_page  # here: app.items imports app.views, which pages needs

    return render_template("index.html", items=first_page())


@pages.get("/hello")
def hello() -> Response:
    return Response("Hello, World!", mimetype="text/plain")
