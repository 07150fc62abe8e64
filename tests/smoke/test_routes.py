"""Every route the service registers answers every method it declares without a 5xx.

Nothing here names a route: the walk reads the app's URL map, fills each converter with a sample
value, and sends each declared method through the test client (a JSON ``{}`` body for the methods
that carry one). A view that raises, or a handler that turns bad input into a 500, fails its own
test case, named ``METHOD /rule``. A new route is covered the moment it is registered; give a
converter of your own a sample in ``SAMPLES``.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Iterator

import pytest

from app import create_app
from flasklite import Flask
from wsgistack.settings import ENV_PREFIX

# One value each converter accepts; `any(a, b)` takes its first choice instead.
SAMPLES = {
    "default": "sample",
    "string": "sample",
    "path": "sample/path.txt",
    "int": "1",
    "float": "1.5",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# <converter(arguments):name> or <name>, as werkzeug's rule syntax writes a variable.
VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def service_app() -> Flask:
    """The service as it runs in production (no diagnostics), exceptions re-raised to the test.
    The service's own settings in the shell (say, diagnostics on) must not change the walk."""
    with pytest.MonkeyPatch.context() as env:
        for name in [key for key in os.environ if key.startswith(f"{ENV_PREFIX}_")]:
            env.delenv(name)
        return create_app({"TESTING": True})


def sample_path(rule: str) -> str:
    def fill(match: re.Match[str]) -> str:
        converter = match.group("converter") or "default"
        if converter == "any":
            return match.group("args").split(",")[0].strip().strip("'\"")
        if converter not in SAMPLES:
            raise LookupError(f"no sample value for converter {converter!r}: add one to SAMPLES")
        return SAMPLES[converter]

    return VARIABLE.sub(fill, rule)


def route_cases() -> Iterator[tuple[str, str]]:
    for rule in sorted(service_app().url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods or ()):
            yield method, rule.rule


CASES = list(route_cases())


@pytest.mark.parametrize(("method", "rule"), CASES, ids=[f"{m} {r}" for m, r in CASES])
def test_route_answers_without_a_server_error(method: str, rule: str) -> None:
    app = service_app()
    path = sample_path(rule)
    matched, _ = app.url_map.bind("localhost").match(path, method=method, return_rule=True)
    assert matched.rule == rule or method == "OPTIONS", f"{path} reaches {matched.rule}, not {rule}"
    client = app.test_client()
    body = {"json": {}} if method in BODY_METHODS else {}
    try:
        response = client.open(path, method=method, **body)
    except Exception:
        pytest.fail(f"{method} {path} raised:\n{traceback.format_exc()}", pytrace=False)
    text = response.get_data(as_text=True)
    assert response.status_code < 500, f"{method} {path} -> {response.status}\n{text[:2000]}"
    assert "Traceback (most recent call last)" not in text, f"{method} {path} shows a traceback"
