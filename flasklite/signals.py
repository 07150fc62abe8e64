"""The framework's signals (blinker), Flask's names and arguments.

Connect a receiver with ``request_started.connect(func, app)``. Every send in the framework is
guarded by ``if signal.receivers:``: with nobody listening a signal costs one attribute read,
and no keyword arguments are built.

======================== ========== ==========================================================
signal                   sender     keyword arguments
======================== ========== ==========================================================
request_started          app        (none)
request_finished         app        ``response``
request_tearing_down     app        ``exc``
got_request_exception    app        ``exception``
template_rendered        app        ``template``, ``context``
before_render_template   app        ``template``, ``context``
appcontext_pushed        app        (none)
appcontext_popped        app        (none)
appcontext_tearing_down  app        ``exc``
message_flashed          app        ``message``, ``category``
======================== ========== ==========================================================
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

# Our own namespace, so receivers of another library's signal of the same name are not called.
_namespace = Namespace()


def _declare(name: str, doc: str) -> NamedSignal:
    declared = _namespace.signal(name, doc)
    return declared


request_started = _declare("request_started", "A request context was pushed; no view ran yet.")
request_finished = _declare("request_finished", "The response is ready (`response=`).")
request_tearing_down = _declare("request_tearing_down", "Teardown of a request (`exc=`).")
got_request_exception = _declare("got_request_exception", "An unhandled error (`exception=`).")
template_rendered = _declare("template_rendered", "A template was rendered.")
before_render_template = _declare("before_render_template", "A template is about to render.")
appcontext_pushed = _declare("appcontext_pushed", "An application context was pushed.")
appcontext_popped = _declare("appcontext_popped", "An application context was popped.")
appcontext_tearing_down = _declare("appcontext_tearing_down", "App context teardown (`exc=`).")
message_flashed = _declare("message_flashed", "`flash()` was called (`message=`, `category=`).")

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]
