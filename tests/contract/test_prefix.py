"""The app mounted under a prefix: nginx serves it at /prefix/ and says so in X-Forwarded-Prefix.

ProxyFix (APP_TRUSTED_PROXY_COUNT=1) moves that header into SCRIPT_NAME, so every URL the app
builds (url_for, redirects, external links) carries the prefix,
while routing still sees paths relative to the mount point.
"""

from __future__ import annotations

from devtools.servers import Server
from tests.contract.client import call

PREFIX = "/prefix"
JSON = {"Accept": "application/json"}


def test_environ_has_the_prefix_in_script_name_and_the_rest_in_path_info(
    prefixed_stack: Server,
) -> None:
    environ = call(prefixed_stack.url, "GET", f"{PREFIX}/_diag/environ", headers=JSON).json()
    assert environ["SCRIPT_NAME"] == PREFIX
    assert environ["PATH_INFO"] == "/_diag/environ"
    # ProxyFix keeps what gunicorn had set, for anyone who needs the raw values.
    assert environ["werkzeug.proxy_fix.orig"]["SCRIPT_NAME"] == ""


def test_url_for_links_carry_the_prefix(prefixed_stack: Server) -> None:
    links = call(prefixed_stack.url, "GET", f"{PREFIX}/_diag/links", headers=JSON).json()
    assert links == {
        "text": f"{PREFIX}/_probe/text",
        "number": f"{PREFIX}/_probe/number/1",
        "static": f"{PREFIX}/static/probe.txt",
        "external": f"{prefixed_stack.url}{PREFIX}/_probe/text",
    }


def test_request_reports_script_root_and_path(prefixed_stack: Server) -> None:
    seen = call(prefixed_stack.url, "GET", f"{PREFIX}/_diag/request/caf%C3%A9").json()
    assert seen["script_root"] == PREFIX
    assert seen["path"] == "/_diag/request/café"
    # werkzeug's request.url is an IRI: the path decoded, not percent-encoded.
    assert seen["url"] == f"{prefixed_stack.url}{PREFIX}/_diag/request/café"


def test_redirect_location_carries_the_prefix_and_resolves(prefixed_stack: Server) -> None:
    reply = call(prefixed_stack.url, "GET", f"{PREFIX}/_diag/redirect")
    assert reply.status == 302
    assert reply.header("Location") == f"{PREFIX}/_probe/text"
    target = call(prefixed_stack.url, "GET", reply.header("Location") or "")
    assert target.status == 200
    assert target.body == b"Hello, World!"


def test_a_client_cannot_add_a_second_prefix(prefixed_stack: Server) -> None:
    # nginx sets X-Forwarded-Prefix itself; a client's own value must not be appended or win.
    links = call(
        prefixed_stack.url,
        "GET",
        f"{PREFIX}/_diag/links",
        headers={"X-Forwarded-Prefix": "/evil", **JSON},
    ).json()
    assert links["text"] == f"{PREFIX}/_probe/text"
