"""Template helpers beyond ``render_template``: ``get_template_attribute`` (call a template's
macros from Python). The loader over the app's and its blueprints' folders is in resources.py."""

from __future__ import annotations

from typing import Any

from .globals import current_app


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """An attribute of a template's module: a macro (callable from Python) or a variable the
    template sets at top level. ``get_template_attribute("_macros.html", "hello")("World")``."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


__all__ = ["get_template_attribute"]
