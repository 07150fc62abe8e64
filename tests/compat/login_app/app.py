"""A small app written against Flask's API: sign-in with a session, flashed messages, a file
download, a streamed page and signals. Only the imports name the framework; the compat test
runs this same file on flasklite and on Flask."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from typing import Any

from flasklite import (
    Flask,
    flash,
    get_flashed_messages,
    message_flashed,
    redirect,
    render_template,
    request,
    send_file,
    session,
    stream_with_context,
    template_rendered,
    url_for,
)

USERS = {"ann": "correct horse"}
HERE = os.path.dirname(os.path.abspath(__file__))


def create_app(**config: Any) -> Flask:
    app = Flask(__name__, root_path=HERE)
    app.config.update(
        SECRET_KEY="compat-test-key",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=1),
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config)
    events: list[tuple[str, Any]] = []
    app.extensions["events"] = events

    def on_render(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        events.append(("rendered", template.name))

    def on_flash(sender: Flask, message: str, category: str, **extra: Any) -> None:
        events.append(("flashed", category))

    template_rendered.connect(on_render, app, weak=False)
    message_flashed.connect(on_flash, app, weak=False)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            name = request.form.get("name", "")
            if USERS.get(name) == request.form.get("password"):
                session.clear()
                session["user"] = name
                session.permanent = bool(request.form.get("remember"))
                flash(f"Welcome, {name}!", "success")
                return redirect(url_for("home"))
            flash("Wrong name or password.", "error")
            return redirect(url_for("login"))
        return render_template("login.html")

    @app.post("/logout")
    def logout() -> Any:
        session.pop("user", None)
        flash("Signed out.")
        return redirect(url_for("login"))

    @app.get("/")
    def home() -> Any:
        if "user" not in session:
            return redirect(url_for("login"))
        session["visits"] = session.get("visits", 0) + 1
        return render_template("home.html", user=session["user"])

    @app.get("/errors")
    def errors_only() -> Any:
        return {"errors": get_flashed_messages(category_filter=["error"])}

    @app.get("/report.csv")
    def report() -> Any:
        data = io.BytesIO(
            b"name,visits\n" + f"{session.get('user')},{session.get('visits', 0)}\n".encode()
        )
        return send_file(data, mimetype="text/csv", as_attachment=True, download_name="report.csv")

    @app.get("/logo")
    def logo() -> Any:
        return send_file("files/logo.txt", max_age=60)

    @app.get("/countdown")
    def countdown() -> Any:
        def lines() -> Any:
            for n in range(3, 0, -1):
                yield f"{session.get('user', 'nobody')}: {n}\n"

        return app.response_class(stream_with_context(lines()), mimetype="text/plain")

    return app
