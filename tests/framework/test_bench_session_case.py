"""The ``session`` case of ``make bench`` (``bench/session_case.py``): its own apps with a secret
key (the shared bench apps keep none), a round-trip check before timing that refuses a broken
session, Bottle and Falcon marked not applicable, and the signing's share measured."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import flask
import pytest

import flasklite
from bench import dispatch, session_case


def session_case_of(cases: list[dispatch.Case]) -> dispatch.Case:
    (case,) = [case for case in cases if case.name == "session"]
    return case


def run_session_case(output: Path) -> dict[str, Any]:
    argv = ["--case", "session", "--repeat", "1", "--budget", "0.001", "--output", str(output)]
    assert dispatch.main(argv) == 0
    (row,) = json.loads(output.read_text(encoding="utf-8"))["rows"]
    return row  # type: ignore[no-any-return]


def test_make_bench_runs_the_session_case_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = run_session_case(tmp_path / "dispatch.json")
    assert set(row["timings"]) == {"bare", "werkzeug", "framework", "flask"}
    assert set(row["not_applicable"]) == {"bottle", "falcon"}
    explained = row["explained"]
    assert explained["framework_without_signing_us"] > 0
    assert explained["flask_us"] == row["timings"]["flask"]["best_us"]
    assert "signing serializer dumps (sign)" in explained["per_call_us"]
    printed = capsys.readouterr().out
    assert "session: no bottle column" in printed and "of which signing" in printed


def test_the_shared_bench_apps_have_no_secret_key() -> None:
    """A secret key would add session work to every other Flask case."""
    with tempfile.TemporaryDirectory() as template_dir:
        for cls in (flasklite.Flask, flask.Flask):
            assert dispatch.build_framework_app(cls, template_dir).config["SECRET_KEY"] is None
        own = session_case.build_apps(template_dir)
    assert own["framework"].config["SECRET_KEY"] == session_case.SECRET_KEY  # type: ignore[attr-defined]
    assert own["flask"].config["SECRET_KEY"] == session_case.SECRET_KEY  # type: ignore[attr-defined]


def forgetful(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Says ``visits: 8`` and hands back the cookie it was given: the count never moves on."""
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", f"session={session_case.COOKIE}; HttpOnly; Path=/"),
            ("Vary", "Cookie"),
        ],
    )
    return [b"visits: 8"]


def cookieless(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [b"visits: 8"]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (forgetful, "framework read bare's cookie as 'visits: 8'"),
        (cookieless, "framework answered"),
    ],
)
def test_a_session_that_does_not_round_trip_is_refused_before_timing(
    monkeypatch: pytest.MonkeyPatch, broken: Any, message: str
) -> None:
    def apps_with_a_broken_framework(template_dir: str) -> dict[str, Any]:
        return {**session_case.build_apps(template_dir), "framework": broken}

    case = dataclasses.replace(
        session_case_of(dispatch.CASES), own_apps=apps_with_a_broken_framework
    )
    monkeypatch.setattr(dispatch, "CASES", [case])
    with pytest.raises(SystemExit, match=message):
        dispatch.main(["--repeat", "1", "--budget", "0.001", "--output", "/dev/null"])


def test_baseline_answers_match_the_framework() -> None:
    status, headers, body = session_case.bare_visits(dict(session_case.SESSION_ENVIRON))
    assert status == "200 OK" and body == b"visits: 8"
    assert any(name == "Set-Cookie" for name, _ in headers)
