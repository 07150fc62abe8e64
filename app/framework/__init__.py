"""TEMPORARY SHIM (the framework helper replaces this whole package): re-exports Flask so the
service and the stack can be built before our own framework lands."""

from __future__ import annotations

from flask import (
    Flask,
    Request,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    render_template_string,
    request,
    url_for,
)

__all__ = [
    "Flask",
    "Request",
    "Response",
    "abort",
    "current_app",
    "g",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "url_for",
]
