"""Template helpers beyond ``render_template``: ``get_template_attribute`` (call a template's
macros from Python) and the loader that looks in the app's and its blueprints' folders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader

from .globals import current_app


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """An attribute of a template's module: a macro (callable from Python) or a variable the
    template sets at top level. ``get_template_attribute("_macros.html", "hello")("World")``."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


class AppTemplateLoader(ChoiceLoader):
    """The app's Jinja loader: Jinja's ``ChoiceLoader`` over the app's own ``jinja_loader``
    and then each blueprint's (``template_folder`` per blueprint), in registration order. The
    list is read at each lookup, so blueprints registered later and a ``jinja_loader`` a
    subclass computes are both seen."""

    def __init__(self, app: Any) -> None:  # ChoiceLoader's list is the property below
        self.app = app

    @property
    def loaders(self) -> Sequence[BaseLoader]:  # type: ignore[override]  # read-only here
        candidates = [self.app.jinja_loader]
        for blueprint in getattr(self.app, "blueprints", {}).values():
            candidates.append(getattr(blueprint, "jinja_loader", None))
        return [loader for loader in candidates if loader is not None]


__all__ = ["AppTemplateLoader", "get_template_attribute"]
