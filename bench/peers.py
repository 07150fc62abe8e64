"""The peer frameworks of ``make bench``: the benchmark app written the idiomatic way for Bottle
and for Falcon. Same routes, same answers (``bench.dispatch`` checks every contender's answer
against Flask's before timing), each framework's own routing, request and response objects."""

from __future__ import annotations

from typing import Any

import bottle
import falcon
import jinja2

from bench.app_data import ITEMS, N_RULES, WSGIApp, created, item


def make_bottle(template_dir: str) -> WSGIApp:
    """Bottle: decorators on a ``Bottle()`` app, ``<name:int>`` wildcards, dicts become JSON,
    templates through ``bottle.jinja2_template`` (autoescaped, as the others are)."""
    app = bottle.Bottle()
    # One lookup list and one settings dict for the app: Bottle caches compiled templates per
    # lookup list, as an app that sets them once at start-up would have it.
    lookup = [template_dir]
    settings = {"autoescape": True}

    @app.get("/hello")
    def hello() -> str:
        return "Hello, World!"

    @app.get("/api/items/<item_id:int>")
    def get_item(item_id: int) -> dict[str, Any]:
        return item(item_id)

    @app.post("/api/items")
    def create_item() -> dict[str, Any]:
        bottle.response.status = 201
        return created(bottle.request.json)

    @app.get("/page/<name>")
    def page(name: str) -> str:
        return str(
            bottle.jinja2_template(
                "page.html",
                template_lookup=lookup,
                template_settings=settings,
                items=ITEMS,
                name=name,
            )
        )

    for i in range(N_RULES):
        app.route(f"/r{i}/<n:int>", "GET", lambda n, i=i: f"r{i} {n}")
    return app


class _Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Hello, World!"


class _Item:
    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.media = item(item_id)


class _Items:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = created(req.get_media())
        resp.status = falcon.HTTP_201


class _Page:
    def __init__(self, template: jinja2.Template) -> None:
        self.template = template

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.template.render(items=ITEMS, name=name)


class _Numbered:
    def __init__(self, i: int) -> None:
        self.i = i

    def on_get(self, req: falcon.Request, resp: falcon.Response, n: int) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"r{self.i} {n}"


def make_falcon(template_dir: str) -> WSGIApp:
    """Falcon: resource classes with ``on_<method>`` responders, ``{name:int}`` field
    converters, ``resp.media`` for JSON; the template is loaded once, as a Falcon app would."""
    jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), autoescape=True)
    app = falcon.App()
    app.add_route("/hello", _Hello())
    app.add_route("/api/items/{item_id:int}", _Item())
    app.add_route("/api/items", _Items())
    app.add_route("/page/{name}", _Page(jinja.get_template("page.html")))
    for i in range(N_RULES):
        app.add_route(f"/r{i}/{{n:int}}", _Numbered(i))
    application: WSGIApp = app
    return application
