"""The bench case that reads and writes the session (``bench/session_case.py``): registered into
``bench.dispatch``, flasklite and Flask answer it the same, through the benchmark's own check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import dispatch, session_case


def test_session_case_runs_in_the_dispatch_benchmark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "CASES", list(dispatch.CASES))
    monkeypatch.setattr(dispatch, "_flask_api_routes", list(dispatch._flask_api_routes))
    session_case.register(dispatch)
    output = tmp_path / "dispatch.json"
    argv = ["--case", "session", "--repeat", "1", "--budget", "0.001", "--output", str(output)]
    assert dispatch.main(argv) == 0
    (row,) = json.loads(output.read_text(encoding="utf-8"))["rows"]
    assert row["case"] == "session" and set(row["timings"]) == {"framework", "flask"}


def test_baseline_answers_match_the_framework() -> None:
    status, headers, body = session_case.bare_visits(dict(session_case.SESSION_ENVIRON))
    assert status == "200 OK" and body == b"visits: 8"
    assert any(name == "Set-Cookie" for name, _ in headers)
