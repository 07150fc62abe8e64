"""A small Flask-compatible web framework on werkzeug + jinja2.

Code written against Flask's core runs unchanged after ``from flasklite import ...``; see
``app.py`` for the request flow, ``middleware.py`` for the WSGI middleware.
"""

from __future__ import annotations

from .app import Flask
from .blueprints import Blueprint
from .ctx import has_app_context, has_request_context
from .globals import current_app, g, request
from .helpers import abort, jsonify, make_response, redirect, url_for
from .templating import render_template, render_template_string
from .wrappers import Request, Response

#: An alias for readers who prefer a neutral name.
App = Flask

__all__ = [
    "App",
    "Blueprint",
    "Flask",
    "Request",
    "Response",
    "abort",
    "current_app",
    "g",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "url_for",
]
