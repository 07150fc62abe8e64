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
        assert set(row["timings"]) == set(dispatch.CONTENDERS)
        assert row["timings"]["flask"]["speedup_vs_flask"] == 1.0
    assert set(result["summary"]["framework_vs_flask"]) == {case.name for case in dispatch.CASES}
    printed = capsys.readouterr().out
    assert "flasklite" in printed and "bottle" in printed and "falcon" in printed
    assert "static" in printed and "target 5x on every case" in printed


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


def test_a_peer_that_answers_differently_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_falcon(template_dir: str):  # type: ignore[no-untyped-def]
        def lying(environ, start_response):  # type: ignore[no-untyped-def]
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"id": 0}']

        return lying

    monkeypatch.setattr(dispatch, "make_falcon", wrong_falcon)
    with pytest.raises(SystemExit, match="falcon answered"):
        dispatch.main(
            ["--repeat", "1", "--budget", "0.001", "--case", "int_json", "--output", "/dev/null"]
        )


def test_summary_names_the_cases_a_peer_wins() -> None:
    def row(case: str, ours: float, bottle: float, flask: float) -> dict[str, object]:
        timings = {
            name: {"best_us": us, "speedup_vs_flask": flask / us}
            for name, us in (("framework", ours), ("bottle", bottle), ("flask", flask))
        }
        return {"case": case, "timings": timings}

    summary = dispatch.summarise([row("fast", 2.0, 4.0, 20.0), row("slow", 6.0, 3.0, 24.0)])
    assert summary["cases_below_target"] == ["slow"]  # 4x < 5x
    (win,) = summary["peers_faster"]
    assert (win["case"], win["peer"], win["peer_faster_by"]) == ("slow", "bottle", 2.0)


def test_a_case_for_the_flask_api_only_skips_the_other_contenders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def add_routes(app, module):  # type: ignore[no-untyped-def]
        app.add_url_rule("/extra", "extra", lambda: module.request.headers["X-Probe"])

    monkeypatch.setattr(dispatch, "_flask_api_routes", [add_routes])
    extra = dispatch.Case(
        "extra",
        "GET /extra → a header echoed",
        "GET",
        "/extra",
        contenders=dispatch.FLASK_API_ONLY,
        environ=(("HTTP_X_PROBE", "probe"),),
    )
    monkeypatch.setattr(dispatch, "CASES", [*dispatch.CASES, extra])
    output = tmp_path / "extra.json"
    args = ["--repeat", "1", "--budget", "0.001", "--case", "extra", "--output", str(output)]
    assert dispatch.main(args) == 0
    (only,) = json.loads(output.read_text(encoding="utf-8"))["rows"]
    assert set(only["timings"]) == {"framework", "flask"}
