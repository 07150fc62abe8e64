"""``make bench`` stays runnable: a tiny run of every case writes the JSON table (no timing is
asserted; the benchmark's own check makes every contender give the same answer first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import dispatch


def test_bench_runs_every_case_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "dispatch.json"
    assert dispatch.main(["--repeat", "1", "--budget", "0.001", "--output", str(output)]) == 0
    result = json.loads(output.read_text(encoding="utf-8"))
    assert [row["case"] for row in result["rows"]] == [case.name for case in dispatch.CASES]
    for row in result["rows"]:
        assert set(row["timings"]) == {"bare", "werkzeug", "framework", "flask"}
        assert row["timings"]["flask"]["speedup_vs_flask"] == 1.0
    printed = capsys.readouterr().out
    assert "framework" in printed and "static" in printed


def test_bench_refuses_a_contender_that_answers_differently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = dispatch.make_bare

    def wrong_bare(template_dir: str):  # type: ignore[no-untyped-def]
        app = original(template_dir)

        def lying(environ, start_response):  # type: ignore[no-untyped-def]
            if environ["PATH_INFO"] == "/hello":
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"less work"]
            return app(environ, start_response)

        return lying

    monkeypatch.setattr(dispatch, "make_bare", wrong_bare)
    with pytest.raises(SystemExit, match="bare answered"):
        dispatch.main(
            ["--repeat", "1", "--budget", "0.001", "--case", "static", "--output", "/dev/null"]
        )
