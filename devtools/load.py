"""`make load`: a headless locust run against a running stack, then p50/p95/p99 and rps per shape.

    python -m devtools.load --host http://localhost:8080 --users 20 --spawn-rate 5 --run-time 30s

Without ``--host`` it targets the compose stack: ``HTTP_PORT`` from the environment, else from
``.env`` (what ``docker compose`` reads), else 8080.

Runs ``locust -f loadtests/ --headless`` (every shape, weighted by ``LOAD_WEIGHT_*``), writes
locust's CSV files (``load_stats.csv``, ``load_failures.csv``, ...) and ``report.html`` into
``loadtests/results/`` (git-ignored; overwritten by the next run) with ``summary.json`` (the final
numbers, written by the gate), prints one line per shape, and
exits with locust's exit code, which the gate in ``loadtests/_common.py`` sets from the
``LOAD_MAX_*`` thresholds. Anything after ``--`` goes to locust unchanged
(e.g. ``-- --tags static converter``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILES = ROOT / "loadtests"
RESULTS = LOCUSTFILES / "results"
CSV_PREFIX = "load"


@dataclass(frozen=True)
class ShapeRow:
    """Final numbers for one request name; the locustfiles name requests ``<shape> <path>``."""

    shape: str
    method: str
    name: str
    requests: int
    failures: int
    p50: str
    p95: str
    p99: str
    rps: float


def read_summary(summary_json: Path) -> tuple[bool, list[str], list[ShapeRow]]:
    """The gate's summary file (written by ``loadtests/_common.py`` when the run ends):
    (passed, broken thresholds, rows with the ``Aggregated`` total last as shape ``all``)."""
    data = json.loads(summary_json.read_text())

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    rows = [
        ShapeRow(
            # Anything not named "<shape> <path>" is shown under its full name.
            shape="all" if row["name"] == "Aggregated" else row["name"].split(" ", 1)[0],
            method=row["method"],
            name=row["name"],
            requests=row["requests"],
            failures=row["failures"],
            p50=ms(row["p50_ms"]),
            p95=ms(row["p95_ms"]),
            p99=ms(row["p99_ms"]),
            rps=row["rps"],
        )
        for row in data["rows"]
    ]
    rows.sort(key=lambda row: (row.shape == "all", row.shape, row.method))
    return bool(data["passed"]), list(data["problems"]), rows


def format_table(rows: Sequence[ShapeRow]) -> str:
    header = f"{'shape':<10} {'method':<6} {'requests':>8} {'fails':>6} "
    header += f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'rps':>8}  request"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.shape:<10} {row.method:<6} {row.requests:>8} {row.failures:>6} "
            f"{row.p50:>7} {row.p95:>7} {row.p99:>7} {row.rps:>8.1f}  {row.name}"
        )
    return "\n".join(lines)


def compose_port(root: Path = ROOT) -> str:
    """The port `docker compose up` publishes nginx on: HTTP_PORT as compose resolves it."""
    if os.environ.get("HTTP_PORT"):
        return os.environ["HTTP_PORT"]
    env_file = root / ".env"
    if env_file.is_file():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() == "HTTP_PORT" and value.strip():
                return value.strip().strip("'\"")
    return "8080"


def host_answers(host: str, timeout: float = 3.0) -> str | None:
    """None when something answers HTTP at ``host``, else why not (any status counts)."""
    try:
        with urllib.request.urlopen(host.rstrip("/") + "/healthz", timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as exc:
        return str(getattr(exc, "reason", exc))


def locust_argv(args: argparse.Namespace, extra: Sequence[str]) -> list[str]:
    prefix = args.results_dir / CSV_PREFIX
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(args.locustfiles),
        "--headless",
        "--host",
        args.host,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--csv",
        str(prefix),
        "--html",
        str(args.results_dir / "report.html"),
        # The periodic tables would bury the summary; the HTML report has the time series.
        "--only-summary",
        *extra,
    ]


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    argv = list(argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m devtools.load", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--host",
        default=f"http://localhost:{compose_port()}",
        help="the stack's base URL (default: the compose port, HTTP_PORT or .env's, else 8080)",
    )
    parser.add_argument("--users", type=int, default=20, help="peak concurrent users")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--run-time", default="30s", help="duration, e.g. 30s, 2m")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="CSV + HTML go here")
    parser.add_argument("--locustfiles", type=Path, default=LOCUSTFILES, help=argparse.SUPPRESS)
    return parser.parse_args(argv), extra


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    problem = host_answers(args.host)
    if problem is not None:
        print(
            f"load: nothing answers at {args.host} ({problem}).\n"
            "Start the stack first: `make stack` (native nginx + gunicorn) or `make up` (Docker),"
            " or pass HOST=...",
            file=sys.stderr,
        )
        return 2
    args.results_dir.mkdir(parents=True, exist_ok=True)
    summary_json = args.results_dir / "summary.json"
    summary_json.unlink(missing_ok=True)
    command = locust_argv(args, extra)
    print("load: locust " + " ".join(command[3:]), flush=True)
    env = {**os.environ, "LOAD_SUMMARY_JSON": str(summary_json)}
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    if not summary_json.exists():
        print(f"load: locust exited {code} before the run finished; see its output above")
        return code or 1
    passed, problems, rows = read_summary(summary_json)
    print()
    print(format_table(rows))
    print(f"\nresults: {args.results_dir}/ (report.html, {CSV_PREFIX}_*.csv, summary.json)")
    if passed:
        print("load: gate PASSED (LOAD_MAX_FAIL_RATIO, LOAD_MAX_P95_MS, LOAD_MIN_REQUESTS, ...)")
    else:
        print("load: gate FAILED: " + "; ".join(problems))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
