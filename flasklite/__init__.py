"""A small Flask-compatible web framework on werkzeug + jinja2.

Code written against Flask's core runs unchanged after ``from flasklite import ...``; see
``app.py`` for the request flow, ``middleware.py`` for the WSGI middleware.
"""

from __future__ import annotations

from . import json as json
from .app import Flask
from .blueprints import Blueprint
from .ctx import has_app_context, has_request_context
from .files import send_file, send_from_directory
from .flashing import flash, get_flashed_messages
from .globals import current_app, g, request, session
from .helpers import abort, jsonify, make_response, redirect, url_for
from .request_scope import after_this_request, copy_current_request_context
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)
from .streaming import stream_template, stream_template_string, stream_with_context
from .template_extras import get_template_attribute
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
    "after_this_request",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "got_request_exception",
    "has_app_context",
    "has_request_context",
    "json",
    "jsonify",
    "make_response",
    "message_flashed",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "template_rendered",
    "url_for",
]
