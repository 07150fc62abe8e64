"""The service's own command: ``flasklite --app app:create_app show-config``."""

from __future__ import annotations

import click

from app.config import DEFAULTS, ENV_PREFIX
from flasklite import Flask, current_app
from flasklite.cli import with_appcontext


@click.command("show-config")
@with_appcontext
def show_config() -> None:
    """Print the settings the service would run with.

    They come from the defaults in app/config.py, then instance/config.py if it exists, then
    APP_* environment variables (.env included); this shows the result of all three.
    """
    click.echo(f"# instance folder: {current_app.instance_path}")
    for key in sorted(DEFAULTS):
        click.echo(f"{ENV_PREFIX}_{key}={current_app.config[key]!r}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(show_config)
