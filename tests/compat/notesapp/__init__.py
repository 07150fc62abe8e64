"""A small notes service written the way Flask's tutorial teaches: an app factory, config from
the instance folder, one blueprint per area, a database helper on ``g`` closed at teardown, an
``init-db`` command, and a ``login_required`` decorator.

Only the imports name the framework: the tests run this package as it is on ``flasklite`` and,
with ``flasklite`` replaced by ``flask`` in the imports, on Flask itself.
"""

from __future__ import annotations

import os
from typing import Any

from flasklite import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
    )
    if test_config is None:
        # Deployment settings live outside the code, in instance/config.py.
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    @app.route("/hello")
    def hello() -> str:
        return "Hello, World!"

    from . import auth, db, notes

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    # The notes list is the site's front page: "index" and "notes.index" are the same URL.
    app.add_url_rule("/", endpoint="index")
    return app
