"""devtools.contract: the table `make contract` prints."""

from __future__ import annotations

import pytest

from devtools import contract

GUNICORN_LIKE = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "SERVER_PORT": "8000",
    "HTTP_HOST": "127.0.0.1:8080",
    "wsgi.version": [1, 0],
    "wsgi.multithread": True,
    "RAW_URI": "/_diag/environ",
    "REQUEST_ID": "abc",
}


def rows(table: str) -> dict[str, list[str]]:
    parsed = {}
    for line in table.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            parsed[cells[0].strip("`")] = cells[1:]
    return parsed


def test_table_has_every_pep3333_key_and_marks_absent_ones() -> None:
    table = rows(contract.render({"one": GUNICORN_LIKE}))
    for key in contract.PEP3333_KEYS:
        assert key in table
    assert table["wsgi.version"] == ["(1, 0)"]
    assert table["SCRIPT_NAME"] == ["''"]
    assert table["wsgi.file_wrapper"] == [contract.ABSENT]
    assert table["HTTP_HOST"] == ["127.0.0.1:8080"]
    assert table["RAW_URI"] == ["/_diag/environ"]


def test_nginx_column_pair_shows_values_before_and_after_proxy_fix() -> None:
    after = {
        **GUNICORN_LIKE,
        "SERVER_PORT": "8080",
        contract.PROXY_FIX_ORIG: {"SERVER_PORT": "8000", "SCRIPT_NAME": ""},
    }
    received = contract.as_received(after)
    assert received["SERVER_PORT"] == "8000"
    assert contract.PROXY_FIX_ORIG not in received
    text = contract.render({"as received": received, "after": after})
    assert rows(text)["SERVER_PORT"] == ["8000", "8080"]
    assert "ProxyFix rewrote `SERVER_PORT`: '8000' → '8080'" in text


def test_a_server_that_did_not_run_is_reported_not_hidden() -> None:
    text = contract.render({"one": GUNICORN_LIKE, "broken": "not run: boom"})
    assert rows(text)["REQUEST_METHOD"] == ["GET", "n/a"]
    assert "- broken: not run: boom" in text


def test_make_contract_prints_the_table_for_a_real_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert contract.main(["--servers", "wsgiref"]) == 0
    table = rows(capsys.readouterr().out)
    assert table["SERVER_SOFTWARE"] == ["WSGIServer/0.2"]
    assert table["QUERY_STRING"] == ["q=caf%C3%A9&q=a+b"]
    assert table["HTTP_X_REQUEST_ID"] == ["contract-table"]
    # wsgiref's CGI heritage: the process environment is part of every environ.
    assert table["PYTHONUNBUFFERED"] == ["1"]
