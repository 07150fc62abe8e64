"""The built-in commands of ``FlaskGroup``: ``run`` (development server), ``routes`` (the URL
map as a table) and ``shell`` (a Python console inside an application context)."""

from __future__ import annotations

import code
import os
import sys
from typing import Any

import click

from .cli import ScriptInfo, pass_script_info, with_appcontext

ROUTE_SORT_KEYS = ("endpoint", "methods", "rule", "domain", "match")


@click.command("run", short_help="Run the development server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", "-p", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option("--debug/--no-debug", default=None, help="Debug mode (reloader and debugger).")
@click.option(
    "--reload/--no-reload", default=None, help="Restart on code changes (default: debug)."
)
@click.option(
    "--debugger/--no-debugger", default=None, help="Interactive debugger (default: debug)."
)
@click.option("--with-threads/--without-threads", default=True, help="A thread per request.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate file.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="TLS key file.")
@click.option(
    "--extra-files", default="", help=f"More files for the reloader ('{os.pathsep}'-separated)."
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    debug: bool | None,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: str | None,
    key: str | None,
    extra_files: str,
) -> None:
    """Serve the app with werkzeug's development server. Never use it in production."""
    if key and not cert:
        raise click.BadParameter("--key needs --cert", param_hint="'--key'")
    app = info.load_app()
    if debug is not None:
        app.debug = debug
    options: dict[str, Any] = {
        "use_reloader": app.debug if reload is None else reload,
        "use_debugger": app.debug if debugger is None else debugger,
        "threaded": with_threads,
        "extra_files": [path for path in extra_files.split(os.pathsep) if path] or None,
    }
    if cert:
        options["ssl_context"] = (cert, key) if key else cert
    # app.run holds the server policy (loopback-only debugger, port defaults); one place for it.
    app.run(host=host, port=port, load_dotenv=False, **options)


@click.command("routes", short_help="Show the URL rules.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(ROUTE_SORT_KEYS),
    default="endpoint",
    show_default=True,
    help="Column to sort by ('match': the order rules are tried).",
)
@click.option("--all-methods", is_flag=True, help="Also show HEAD and OPTIONS.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:  # fmt: skip
    """Print every URL rule with its methods and endpoint."""
    from .globals import current_app

    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching

    def domain(rule: Any) -> str:
        return str((rule.host if host_matching else rule.subdomain) or "")

    rows = [
        (
            rule.endpoint,
            ", ".join(sorted((rule.methods or set()) - hidden)),
            rule.rule,
            domain(rule),
        )
        for rule in rules
    ]
    order = {"endpoint": 0, "methods": 1, "rule": 2, "domain": 3}
    if sort in order:
        rows.sort(key=lambda row: (row[order[sort]], row[2]))
    headers = ["Endpoint", "Methods", "Rule", "Host" if host_matching else "Subdomain"]
    columns = 4 if any(row[3] for row in rows) else 3
    table = [headers[:columns]] + [list(row[:columns]) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(columns)]
    table.insert(1, ["-" * width for width in widths])
    for line in table:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


@click.command("shell", short_help="A Python shell in the app's context.")
@with_appcontext
@pass_script_info
def shell_command(info: ScriptInfo) -> None:
    """An interactive console with ``app`` and ``g`` (and the app's shell context) defined.
    ``PYTHONSTARTUP`` runs first, as in ``python -i``."""
    from .globals import g

    app = info.load_app()  # the object itself, not the current_app proxy
    namespace: dict[str, Any] = {"app": app, "g": g}
    startup = os.environ.get("PYTHONSTARTUP", "")
    if os.path.isfile(startup):
        with open(startup, encoding="utf-8") as handle:
            exec(compile(handle.read(), startup, "exec"), namespace)
    make_context = getattr(app, "make_shell_context", None)
    if make_context is not None:
        namespace.update(make_context())
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\nInstance: {getattr(app, 'instance_path', '-')}"
    )
    code.interact(banner=banner, local=namespace)
