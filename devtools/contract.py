"""``make contract``: the same app under five servers, and the environ each one hands it.

Starts the service (with ``APP_DIAGNOSTICS=1``) under werkzeug's ``run_simple`` via ``app.run()``,
``wsgiref.simple_server``, gunicorn ``sync`` and ``gthread``, and nginx → gunicorn, one after the
other on free loopback ports; sends each the same ``GET /_diag/environ`` and prints a Markdown table
with one column a server: the PEP 3333 keys, the ``HTTP_*`` headers, each server's extras, and, for
nginx, the environ as gunicorn built it next to what the app sees after ProxyFix rewrote it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from devtools.servers import SERVER_NAMES, app_environment, make_server

# The request every server gets. The query shows QUERY_STRING stays raw (percent-encoded);
# the X-Request-ID shows a client header arriving as HTTP_X_REQUEST_ID.
PROBE_PATH = "/_diag/environ?q=caf%C3%A9&q=a+b"
PROBE_HEADERS = {
    "Accept": "application/json",
    "User-Agent": "devtools.contract",
    "X-Request-ID": "contract-table",
}

# PEP 3333's required keys, in the order the PEP lists them.
PEP3333_KEYS = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "wsgi.version",
    "wsgi.url_scheme",
    "wsgi.multithread",
    "wsgi.multiprocess",
    "wsgi.run_once",
    "wsgi.input",
    "wsgi.errors",
    "wsgi.file_wrapper",
)
# Put there by this app (middleware, framework, ProxyFix), not by the server.
APP_KEYS = ("REQUEST_ID", "werkzeug.request", "werkzeug.proxy_fix.orig")
PROXY_FIX_ORIG = "werkzeug.proxy_fix.orig"

ABSENT = "—"
CELL_WIDTH = 34

Environ = Mapping[str, Any]


def fetch_environ(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        conn.request("GET", parts.path.rstrip("/") + PROBE_PATH, headers=PROBE_HEADERS)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {PROBE_PATH} answered {response.status}: {body[:300]!r}")
    environ: dict[str, Any] = json.loads(body)
    return environ


def as_received(environ: Environ) -> dict[str, Any]:
    """The environ as the server built it: ProxyFix keeps the values it replaced."""
    original = dict(environ)
    original.update(environ.get(PROXY_FIX_ORIG) or {})
    original.pop(PROXY_FIX_ORIG, None)
    return original


def collect(names: Sequence[str]) -> dict[str, dict[str, Any] | str]:
    """Column title → environ (or the reason there is none)."""
    columns: dict[str, dict[str, Any] | str] = {}
    for name in names:
        print(f"starting {name} ...", file=sys.stderr, flush=True)
        try:
            server = make_server(name)
        except ImportError as error:  # devtools.native_stack needs nginx on the machine
            columns[name] = f"not run: {error}"
            continue
        try:
            server.start()
            environ = fetch_environ(server.url)
        except Exception as error:
            columns[name] = f"not run: {type(error).__name__}: {str(error).splitlines()[0]}"
            continue
        finally:
            server.stop()
        if name == "nginx-gunicorn":
            columns["nginx → gunicorn (as received)"] = as_received(environ)
            columns["nginx → gunicorn (app, after ProxyFix)"] = environ
        else:
            columns[name] = environ
    return columns


def cell(environ: Environ, key: str) -> str:
    if key not in environ:
        return ABSENT
    value = environ[key]
    if isinstance(value, str):
        text = value if value else "''"
    elif isinstance(value, list):
        text = "(" + ", ".join(str(item) for item in value) + ")"
    elif isinstance(value, dict):
        text = "{" + ", ".join(sorted(value)) + "}"
    else:
        text = str(value)
    if len(text) > CELL_WIDTH:
        text = text[: CELL_WIDTH - 1] + "…"
    return text.replace("|", "\\|")


def classify(columns: Mapping[str, Environ]) -> dict[str, list[str]]:
    """Every key seen, grouped into the table's sections."""
    seen = sorted({key for environ in columns.values() for key in environ})
    # wsgiref starts every environ as a copy of os.environ: show those keys apart, they are the
    # server process's variables, not anything about the request.
    process_env = set(app_environment()) & set(seen)
    sections = {
        "PEP 3333": list(PEP3333_KEYS),
        "HTTP headers": [key for key in seen if key.startswith("HTTP_")],
        "server extras": [
            key
            for key in seen
            if key not in PEP3333_KEYS
            and not key.startswith("HTTP_")
            and key not in APP_KEYS
            and key not in process_env
        ],
        "process environment copied in": sorted(process_env),
        "added by the app": [key for key in APP_KEYS if key in seen],
    }
    return sections


def proxy_fix_notes(environs: Mapping[str, Environ]) -> list[str]:
    """What ProxyFix rewrote from nginx's X-Forwarded-* headers, and where it kept the originals."""
    notes = []
    for environ in environs.values():
        originals = environ.get(PROXY_FIX_ORIG) or {}
        if not originals:
            continue
        for key, before in sorted(originals.items()):
            if environ.get(key) != before:
                notes.append(f"- ProxyFix rewrote `{key}`: {before!r} → {environ.get(key)!r}")
        keys = ", ".join(f"`{key}`" for key in sorted(originals))
        notes.append(f"- ProxyFix keeps the values gunicorn set for {keys} in `{PROXY_FIX_ORIG}`")
    return notes


def render(columns: Mapping[str, dict[str, Any] | str]) -> str:
    environs = {title: env for title, env in columns.items() if isinstance(env, dict)}
    titles = list(columns)
    header = ["environ key", *titles]
    rows: list[list[str]] = []
    for section, keys in classify(environs).items():
        if not keys:
            continue
        rows.append([f"**{section}**", *([""] * len(titles))])
        for key in keys:
            values = [
                cell(env, key) if isinstance(env := columns[t], dict) else "n/a" for t in titles
            ]
            rows.append([f"`{key}`", *values])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
            + " |"
        )

    out = [line(header), "| " + " | ".join("-" * width for width in widths) + " |"]
    out += [line(row) for row in rows]
    notes = [f"- {title}: {reason}" for title, reason in columns.items() if isinstance(reason, str)]
    notes += proxy_fix_notes(environs)
    return "\n".join(out + (["", *notes] if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.contract", description=__doc__)
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_NAMES),
        help=f"comma-separated subset of {','.join(SERVER_NAMES)}",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every environ as JSON here")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SERVER_NAMES))
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)}")

    columns = collect(names)
    print(f"`GET {PROBE_PATH}` with `X-Request-ID: contract-table`, one server a column:\n")
    print(render(columns))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(columns, handle, indent=2, ensure_ascii=False)
    # A server that could not run is a failure of `make contract`, not a footnote.
    return 0 if all(isinstance(env, dict) for env in columns.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
