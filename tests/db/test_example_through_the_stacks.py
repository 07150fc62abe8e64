"""The example's page and items API through nginx and gunicorn, native and in compose: what the
example adds on top of the machinery's own stack checks (tests/stack/checks.py)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.stack.checks import TIMEOUT, assert_security_headers


def check_page(url: str) -> None:
    response = requests.get(url + "/", headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'href="/static/style.css"' in response.text
    assert response.headers.get("X-Served-By")
    assert_security_headers(response)


def check_api(url: str) -> None:
    listed = requests.get(url + "/api/items", timeout=TIMEOUT)
    assert listed.status_code == 200
    assert listed.headers["Content-Type"].startswith("application/json")
    assert [item["id"] for item in listed.json()["items"]][:3] == [1, 2, 3]
    created = requests.post(
        url + "/api/items", json={"name": f"bolt-{url[-5:]}", "quantity": 3}, timeout=TIMEOUT
    )
    assert created.status_code in (201, 409)  # 409: the shared stack already has it
    invalid = requests.post(url + "/api/items", json={"name": ""}, timeout=TIMEOUT)
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == 400


@pytest.fixture(params=["native", pytest.param("compose", marks=pytest.mark.docker)])
def stack_url(request: pytest.FixtureRequest) -> str:
    stack: Any = request.getfixturevalue(f"{request.param}_stack")
    return str(stack.url)


@pytest.mark.nginx
def test_page_is_served_through_the_stack(stack_url: str) -> None:
    check_page(stack_url)


@pytest.mark.nginx
def test_api_answers_through_the_stack(stack_url: str) -> None:
    check_api(stack_url)
