"""`make bench-http` (python -m bench.http): wrk output parsing and one very short real run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bare_wsgi import app as bare_app
from bench.http import bench_env, parse_wrk
from tests.loadtests.helpers import ROOT, clean_env
from tests.support.prereqs import require_executable

WRK_OUTPUT = """\
Running 4s test @ http://127.0.0.1:40001/hello
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.51ms    3.10ms  52.00ms   91.02%
    Req/Sec     2.48k   210.33     2.81k    80.00%
  Latency Distribution
     50%    5.90ms
     75%  750.00us
     90%    1.02s
     99%   12.40ms
  9872 requests in 4.00s, 1.52MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2466.91
Transfer/sec:    388.12KB
"""


def test_parse_wrk_reads_rate_latency_in_any_unit_and_errors() -> None:
    result = parse_wrk(WRK_OUTPUT)

    assert result.rps == pytest.approx(2466.91)
    assert result.requests == 9872
    assert result.latency_avg_ms == pytest.approx(6.51)
    assert result.latency_ms == pytest.approx({"50%": 5.9, "75%": 0.75, "90%": 1020.0, "99%": 12.4})
    assert result.errors == 7  # 3 socket errors + 4 non-2xx answers


def test_parse_wrk_rejects_output_without_a_rate() -> None:
    with pytest.raises(ValueError, match="unexpected wrk output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_bare_callable_answers_like_the_static_route() -> None:
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    environ = {"PATH_INFO": "/_probe/text", "REQUEST_METHOD": "GET"}

    body = b"".join(bare_app(environ, lambda status, headers: seen.append((status, headers))))

    assert body == b"Hello, World!"
    assert seen[0][0] == "200 OK"
    assert ("Content-Type", "text/plain; charset=utf-8") in seen[0][1]


def test_bench_runs_one_worker_without_recycling_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WEB_CONCURRENCY", "GUNICORN_WORKERS", "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    env = bench_env()
    assert (env["WEB_CONCURRENCY"], env["GUNICORN_MAX_REQUESTS"]) == ("1", "0")

    # The user's choice wins, GUNICORN_WORKERS included: the native stack sets WEB_CONCURRENCY,
    # which gunicorn.conf.py reads first, so it must carry the user's number.
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    env = bench_env()
    assert (env["WEB_CONCURRENCY"], env["GUNICORN_MAX_REQUESTS"]) == ("3", "500")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert bench_env()["WEB_CONCURRENCY"] == "2"


@pytest.mark.slow
def test_bench_http_measures_five_cases_and_writes_json_and_chart(tmp_path: Path) -> None:
    require_executable("wrk")
    require_executable("nginx")

    env = clean_env()
    for name in ("WEB_CONCURRENCY", "GUNICORN_WORKERS", "GUNICORN_MAX_REQUESTS"):
        env.pop(name, None)  # the bench's own defaults, checked below
    done = subprocess.run(
        [sys.executable, "-m", "bench.http", "--duration", "1", "--rounds", "1",
         "--in-process-calls", "20", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "generator wrk" in done.stdout
    result = json.loads((tmp_path / "http.json").read_text())
    assert [case["key"] for case in result["cases"]] == [
        "gunicorn-bare", "gunicorn-app", "nginx-bare", "nginx-app", "nginx-alone",
    ]  # fmt: skip
    assert all(case["rps"] > 0 and case["errors"] == 0 for case in result["cases"])
    assert all(case["server_cpu_us_per_request"] > 0 for case in result["cases"])
    assert {"direct app/bare", "via nginx app/bare"} <= set(result["ratios"])
    assert {"direct app/bare", "via nginx app/bare"} == set(result["cpu_ratios"])
    assert result["generator"].startswith("wrk")
    assert (result["gunicorn"]["workers"], result["gunicorn"]["max_requests"]) == (1, 0)
    assert (tmp_path / "http.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    in_process = result["in_process_us_per_request"]
    assert set(in_process) == {"bare", "app", "bare_cold", "app_cold"}
    assert all(value > 0 for value in in_process.values())
    assert "caches cold" in done.stdout
