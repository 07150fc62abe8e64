"""The floor and the base of ``make bench``: the app as a bare WSGI callable, and on raw werkzeug
(a ``Map`` bound per request, ``Request`` and ``Response`` objects)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import jinja2
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request as WzRequest
from werkzeug.wrappers import Response as WzResponse

from bench.app_data import ITEMS, N_RULES, WSGIApp, created, item


def make_bare(template_dir: str) -> WSGIApp:
    """The floor: plain WSGI, routing by string comparison, no objects."""
    page = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir), autoescape=True
    ).get_template("page.html")
    item_re = re.compile(r"/api/items/(\d+)\Z")
    rule_re = re.compile(r"/r(\d+)/(\d+)\Z")

    def answer(start_response: Any, status: str, ctype: str, body: bytes) -> list[bytes]:
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        text, js = "text/html; charset=utf-8", "application/json"
        if path == "/hello" and method == "GET":
            return answer(start_response, "200 OK", text, b"Hello, World!")
        if path == "/api/items" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = json.loads(environ["wsgi.input"].read(length))
            body = json.dumps(created(data), separators=(",", ":")).encode() + b"\n"
            return answer(start_response, "201 CREATED", js, body)
        if path.startswith("/page/") and method == "GET":
            html = page.render(items=ITEMS, name=path[6:]).encode()
            return answer(start_response, "200 OK", text, html)
        if (m := item_re.match(path)) and method == "GET":
            body = json.dumps(item(int(m[1])), separators=(",", ":")).encode() + b"\n"
            return answer(start_response, "200 OK", js, body)
        if (m := rule_re.match(path)) and int(m[1]) < N_RULES and method == "GET":
            return answer(start_response, "200 OK", text, f"r{m[1]} {m[2]}".encode())
        return answer(start_response, "404 NOT FOUND", text, b"<h1>Not Found</h1>")

    return application


def make_werkzeug(template_dir: str) -> WSGIApp:
    """Raw werkzeug: a Map bound per request, Request and Response objects."""
    jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), autoescape=True)
    rules = [
        Rule("/hello", endpoint="hello", methods=["GET"]),
        Rule("/api/items/<int:item_id>", endpoint="get_item", methods=["GET"]),
        Rule("/api/items", endpoint="create_item", methods=["POST"]),
        Rule("/page/<name>", endpoint="page", methods=["GET"]),
    ]
    rules += [Rule(f"/r{i}/<int:n>", endpoint=f"r{i}", methods=["GET"]) for i in range(N_RULES)]
    url_map = Map(rules)

    def to_json(data: Any, status: int = 200) -> WzResponse:
        body = json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"
        return WzResponse(body, status=status, mimetype="application/json")

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = WzRequest(environ)
        adapter = url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            if endpoint == "hello":
                response = WzResponse("Hello, World!", mimetype="text/html")
            elif endpoint == "get_item":
                response = to_json(item(args["item_id"]))
            elif endpoint == "create_item":
                response = to_json(created(request.get_json()), 201)
            elif endpoint == "page":
                html = jinja.get_template("page.html").render(items=ITEMS, name=args["name"])
                response = WzResponse(html, mimetype="text/html")
            else:
                response = WzResponse(f"{endpoint} {args['n']}", mimetype="text/html")
        except HTTPException as e:
            return e(environ, start_response)
        return response(environ, start_response)

    return application
