"""`make bench-http`: where the time of one ``GET /_probe/text`` goes, measured over real HTTP.

Five cases, side by side, generator ``wrk`` (Debian package ``wrk``), loopback only:

1. gunicorn + bare WSGI callable (``bench.bare_wsgi:app``)      -- the floor
2. gunicorn + this app (``app.wsgi:app``)                       -- what the framework costs
3. nginx -> gunicorn + bare callable                            -- the proxy hop
4. nginx -> gunicorn + this app                                 -- what a user gets
5. nginx answering alone (``/nginx-health``)                    -- nginx's own ceiling

Both gunicorns run ``gunicorn -c gunicorn.conf.py`` with the same environment, so the settings
are the same (one worker, no recycling, unless you set them: see ``BENCH_GUNICORN``); the
direct cases talk to the very gunicorn that sits behind the nginx of cases 3/4.
Rounds are interleaved (1,2,3,4,5, 1,2,3,4,5, ...) and medians kept, so a neighbour's burst on
a shared machine hits every case alike instead of one; each ratio is the median of its per-round
ratios. Alongside, the CPU time the server processes spend per request (from /proc), which a
neighbour's load barely moves. Prints rps, latency and CPU per request, the ratios app / bare by
rps and by CPU (target >= 0.90 directly and through nginx), an in-process line (the same
request with no HTTP at all), and writes ``http.json`` + ``http.png`` into ``bench/results/``.
Exit 0 either way (a measurement, not a gate) unless ``--strict``.

    python -m bench.http [--duration 3] [--rounds 9] [--connections 16] [--out bench/results]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import bare_wsgi
from devtools.dev_secret import with_dev_secret_key

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BARE_APP = "bench.bare_wsgi:app"
THIS_APP = "app.wsgi:app"
# The route measured: wsgistack's text probe, in every service (bench/bare_wsgi.py answers it too).
PROBE_PATH = bare_wsgi.PATH
TARGET_RATIO = 0.90

# --- wrk ---------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


@dataclass(frozen=True)
class WrkResult:
    rps: float
    requests: int
    latency_avg_ms: float
    latency_ms: dict[str, float]  # "50%", "75%", "90%", "99%"
    errors: int  # socket errors + non-2xx/3xx answers: a fast error is not a fast answer


def parse_wrk(output: str) -> WrkResult:
    """Read ``wrk --latency`` output (wrk 4.x)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ", output, re.M)
    average = re.search(r"^\s*Latency\s+(\S+)", output, re.M)
    if rps is None or total is None or average is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    percentiles = {
        f"{m.group(1)}%": _ms(m.group(2))
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)
    }
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(total.group(1)),
        latency_avg_ms=_ms(average.group(1)),
        latency_ms=percentiles,
        errors=errors,
    )


def wrk_version(wrk: str) -> str:
    # `wrk -v` prints its version line and exits non-zero (it also wants a URL).
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "wrk (unknown version)"


def run_wrk(wrk: str, url: str, duration: float, connections: int) -> WrkResult:
    argv = [
        wrk,
        "--threads",
        "1",  # one generator thread: on 2 cores the servers need the other one
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "--latency",
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


# --- processes -----------------------------------------------------------------------------------


def wait_until_answers(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s ({last})")


# --- server CPU per request ---------------------------------------------------------------------
#
# On a shared machine wall-clock rps swings with the neighbours' load (rounds differ by 2x here),
# but the CPU time the server processes burn per request barely moves. Summing it over a server's
# process tree before and after a wrk run gives "CPU us per request": what decides rps once the
# server has dedicated cores. A master's cutime/cstime hold the CPU of workers it has reaped, so
# workers recycled mid-run (gunicorn's max_requests) and their replacements' start-up are counted.

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; everything after its ")" is space-separated.
    return text[text.rindex(")") + 2 :].split()


def tree_cpu_seconds(root: int) -> float | None:
    """user+system CPU of ``root`` and its direct children, reaped ones included (Linux /proc)."""
    fields = _stat_fields(root)
    if fields is None:
        return None
    # After the name: [0]=state [1]=ppid ... [11]=utime [12]=stime [13]=cutime [14]=cstime.
    ticks = sum(int(v) for v in fields[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != root:
            child = _stat_fields(int(entry.name))
            if child is not None and child[1] == str(root):
                ticks += sum(int(v) for v in child[11:15])
    return ticks / _TICKS


def cpu_of(pids: Sequence[int]) -> float | None:
    values = [tree_cpu_seconds(pid) for pid in pids]
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


@dataclass(frozen=True)
class Stack:
    direct: str  # gunicorn's own URL
    proxied: str  # nginx's URL
    gunicorn_environ: dict[str, str]
    gunicorn_pid: int
    nginx_pid: int


@contextlib.contextmanager
def stack(wsgi_app: str, env: Mapping[str, str]) -> Iterator[Stack]:
    """nginx -> gunicorn for one WSGI app with the repository's own nginx config and
    gunicorn.conf.py (``devtools.native_stack``); stopped and removed even when a run fails."""
    from devtools.native_stack import NativeStack

    # The user's GUNICORN_*/WEB_CONCURRENCY win over NativeStack's defaults, for both apps alike.
    gunicorn_env = {k: v for k, v in env.items() if k.startswith(("GUNICORN_", "WEB_"))}
    native = NativeStack(gunicorn_env=gunicorn_env, wsgi_app=wsgi_app)
    try:
        native.start()
        direct = native.gunicorn_urls[0]
        wait_until_answers(direct + PROBE_PATH)
        yield Stack(
            direct,
            native.url,
            native.gunicorn_environ(0),
            native.gunicorn_pids[0],
            native.nginx_pid,
        )
    finally:
        native.stop()
        native.cleanup()


# --- in-process ----------------------------------------------------------------------------------


def in_process_us(wsgi_app: Callable[..., Any], calls: int, cold: bool = False) -> float:
    """Microseconds per ``GET /_probe/text`` calling the WSGI callable directly: no socket, no
    server. ``cold``: before each call (outside the timing) sweep a buffer larger than the CPU's
    caches, as a server's own work between two requests does, so the call finds its code and
    data out of cache; that, not the hot loop, is the cost the app adds behind gunicorn."""
    from werkzeug.test import create_environ

    template = create_environ(PROBE_PATH, "http://127.0.0.1/")
    sweep = bytearray(_SWEEP_BYTES) if cold else None

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    def one_call() -> None:
        body = wsgi_app(dict(template), start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    best = float("inf")
    for _ in range(3):  # best of three: the least disturbed by neighbours
        if sweep is None:
            started = time.perf_counter()
            for _ in range(calls):
                one_call()
            elapsed = time.perf_counter() - started
        else:
            elapsed = 0.0
            for _ in range(calls):
                bytes(sweep[::64])  # one byte of every cache line
                started = time.perf_counter()
                one_call()
                elapsed += time.perf_counter() - started
        best = min(best, elapsed / calls * 1e6)
    return best


#: Larger than the last-level cache of the machines this runs on.
_SWEEP_BYTES = 32 * 1024 * 1024


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    label: str
    url: str = ""
    pids: tuple[int, ...] = ()  # the server processes this case's requests go through
    rounds: list[WrkResult] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # server CPU per request, each round

    @property
    def cpu_us_per_request(self) -> float | None:
        return statistics.median(self.cpu_us) if self.cpu_us else None

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.rounds)

    def latency(self, percentile: str) -> float:
        return statistics.median(r.latency_ms.get(percentile, float("nan")) for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)


CASES = (
    ("gunicorn-bare", "1 gunicorn + bare WSGI"),
    ("gunicorn-app", "2 gunicorn + this app"),
    ("nginx-bare", "3 nginx -> gunicorn + bare"),
    ("nginx-app", "4 nginx -> gunicorn + this app"),
    ("nginx-alone", "5 nginx alone"),
)


# gunicorn.conf.py's settings, with two exceptions for both apps alike (the user's own
# WEB_CONCURRENCY / GUNICORN_WORKERS / GUNICORN_MAX_REQUESTS still win):
# - One worker. With two, the kernel gives each of wrk's 16 connections to whichever worker
#   wakes first, and they stay there for the round: all 16 landed on one worker in a quarter of
#   the rounds measured here, which then ran at 1,100-1,700 rps against 2,100-3,500, whatever
#   the app. Rounds measured the split, not the app (per-round ratios 0.3..2.6; with one worker
#   0.8..1.2). One worker is also the harsher test: no idle core absorbs the app's extra CPU.
# - No recycling. A recycling worker stops accepting, keeps idle keep-alive connections (nginx's,
#   from the case before) up to 2 s, and only then is its replacement forked: with one worker,
#   requests waited 2 s in 3 of 18 direct rounds; with two, its connections pile onto the other.
#   gunicorn's max_requests is a leak guard; its cost is measured separately (README: "Worker
#   recycling").
BENCH_GUNICORN = {"WEB_CONCURRENCY": "1", "GUNICORN_MAX_REQUESTS": "0"}


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    # Identical for both apps and production-like: no debug, no diagnostics endpoints.
    env.pop("APP_DEBUG", None)
    env.pop("APP_DIAGNOSTICS", None)
    env.setdefault("GUNICORN_ACCESSLOG", "-")
    # gunicorn.conf.py reads WEB_CONCURRENCY before GUNICORN_WORKERS, and the native stack sets
    # it, so a GUNICORN_WORKERS of the user's is passed on under that name.
    env.setdefault(
        "WEB_CONCURRENCY", env.get("GUNICORN_WORKERS", BENCH_GUNICORN["WEB_CONCURRENCY"])
    )
    env.setdefault("GUNICORN_MAX_REQUESTS", BENCH_GUNICORN["GUNICORN_MAX_REQUESTS"])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


RATIOS = {
    "direct app/bare": ("gunicorn-app", "gunicorn-bare"),
    "via nginx app/bare": ("nginx-app", "nginx-bare"),
    "nginx->bare / bare": ("nginx-bare", "gunicorn-bare"),
    "nginx->app / nginx alone": ("nginx-app", "nginx-alone"),
}


def round_ratios(cases: Mapping[str, Case]) -> dict[str, list[float]]:
    """Each ratio per round. The two sides of a ratio ran seconds apart in the same round, so a
    neighbour's burst mostly hits both; the median of these is steadier than a ratio of medians."""
    return {
        name: [a.rps / b.rps for a, b in zip(cases[top].rounds, cases[bottom].rounds, strict=True)]
        for name, (top, bottom) in RATIOS.items()
    }


def ratios(cases: Mapping[str, Case]) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in round_ratios(cases).items()}


def cpu_ratios(cases: Mapping[str, Case]) -> dict[str, float]:
    """app/bare as CPU allows it: bare's CPU per request over the app's, paired by round like
    the rps ratios, median kept. Empty where /proc could not be read."""
    result: dict[str, float] = {}
    for name, (app_key, bare_key) in list(RATIOS.items())[:2]:
        pairs = zip(cases[bare_key].cpu_us, cases[app_key].cpu_us, strict=False)
        values = [bare / app for bare, app in pairs if app > 0]
        if values and len(values) == len(cases[app_key].rounds):
            result[name] = statistics.median(values)
    return result


def gunicorn_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings gunicorn.conf.py derives from this environment (what both apps ran with)."""
    names = ("workers", "worker_class", "threads", "keepalive", "accesslog", "max_requests")
    code = (
        "import json, runpy, sys; c = runpy.run_path(sys.argv[1]); "
        f"print(json.dumps({{k: c.get(k) for k in {names!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        env=dict(env),
        check=False,
    )
    return json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-300:]}


def chart(result: Mapping[str, Any], path: Path) -> None:
    """Left: rps of the four gunicorn cases on a linear axis (nginx alone, an order of magnitude
    faster, would flatten them, so it is named in the title). Right: server CPU per request."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the PNG only
    import matplotlib.pyplot as plt

    cases = list(result["cases"])
    python_cases = cases[:4]
    labels = [c["label"] for c in python_cases]
    rps = [c["rps"] for c in python_cases]
    low = [c["rps"] - min(c["rps_rounds"]) for c in python_cases]
    high = [max(c["rps_rounds"]) - c["rps"] for c in python_cases]
    colors = ["#9aa5b1", "#3b82f6", "#9aa5b1", "#3b82f6"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    left.barh(labels, rps, xerr=[low, high], color=colors, capsize=3)
    left.invert_yaxis()
    left.set_xlabel("requests / second (median of rounds; whiskers: min..max)")
    for y, case in enumerate(python_cases):
        left.text(max(case["rps_rounds"]), y, f"  {case['rps']:,.0f}", va="center")
    left.set_xlim(0, max(max(c["rps_rounds"]) for c in python_cases) * 1.25)
    left.set_title(f"5 nginx alone: {cases[4]['rps']:,.0f} rps (off this scale)", fontsize=10)

    names = [c["label"] for c in cases]
    cpu = [c["server_cpu_us_per_request"] or 0.0 for c in cases]
    right.barh(names, cpu, color=[*colors, "#10b981"])
    right.invert_yaxis()
    right.set_xlabel("server CPU per request, us (user+system; median of rounds)")
    for y, value in enumerate(cpu):
        right.text(value, y, f"  {value:,.0f}", va="center")
    right.set_xlim(0, max([*cpu, 1.0]) * 1.2)
    right.set_title("what a request costs the servers (steadier than rps)", fontsize=10)

    r, c = result["ratios"], result["cpu_ratios"]
    title = (
        f"GET /_probe/text over loopback, {result['generator']}, {result['connections']} connections, "
        f"{result['machine']['cpus']} CPUs (shared)\napp/bare by rps: direct "
        f"{r['direct app/bare']:.2f}, via nginx {r['via nginx app/bare']:.2f}"
    )
    if c:
        title += (
            f"; by CPU: direct {c['direct app/bare']:.2f}, via nginx {c['via nginx app/bare']:.2f}"
        )
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    # Single rounds swing by a third on a shared machine; the median of 9 moves far less.
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds; median kept")
    parser.add_argument("--connections", type=int, default=16, help="wrk keep-alive connections")
    parser.add_argument("--in-process-calls", type=int, default=5000, help="0 skips that line")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where http.json/http.png go")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when app/bare misses the 0.90 target"
    )
    return parser.parse_args(argv)


def measure(
    wrk: str, args: argparse.Namespace, env: Mapping[str, str]
) -> tuple[dict[str, Case], dict[str, Any]]:
    """Both stacks up at once (the direct cases reach their gunicorn past nginx), then the
    interleaved wrk rounds. Returns the cases and the gunicorn settings both apps ran with."""
    cases = {key: Case(key, label) for key, label in CASES}
    with stack(BARE_APP, env) as bare, stack(THIS_APP, env) as this:
        settings = gunicorn_settings(this.gunicorn_environ)
        if settings != gunicorn_settings(bare.gunicorn_environ):
            raise RuntimeError("the two gunicorns would not run with the same settings")
        targets = {
            "gunicorn-bare": (bare.direct + PROBE_PATH, (bare.gunicorn_pid,)),
            "gunicorn-app": (this.direct + PROBE_PATH, (this.gunicorn_pid,)),
            "nginx-bare": (bare.proxied + PROBE_PATH, (bare.nginx_pid, bare.gunicorn_pid)),
            "nginx-app": (this.proxied + PROBE_PATH, (this.nginx_pid, this.gunicorn_pid)),
            "nginx-alone": (this.proxied + "/nginx-health", (this.nginx_pid,)),
        }
        for key, (url, pids) in targets.items():
            cases[key].url, cases[key].pids = url, pids
        for case in cases.values():  # warm-up: imports, connection pools, first requests
            run_wrk(wrk, case.url, 1, args.connections)
        for number in range(1, args.rounds + 1):
            for case in cases.values():
                before = cpu_of(case.pids)
                result = run_wrk(wrk, case.url, args.duration, args.connections)
                after = cpu_of(case.pids)
                case.rounds.append(result)
                cpu_note = ""
                if before is not None and after is not None and result.requests:
                    case.cpu_us.append((after - before) / result.requests * 1e6)
                    cpu_note = f"  {case.cpu_us[-1]:>7.0f} us CPU/request"
                print(
                    f"  round {number}: {case.label:<32} {result.rps:>9,.0f} rps{cpu_note}",
                    flush=True,
                )
    return cases, settings


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench-http: `wrk` is missing: `apt-get install wrk` (Debian)", file=sys.stderr)
        return 2
    if shutil.which("nginx") is None and not os.access("/usr/sbin/nginx", os.X_OK):
        print("bench-http: `nginx` is missing: `apt-get install nginx-light`", file=sys.stderr)
        return 2
    env = bench_env()
    generator = wrk_version(wrk)
    load_before = os.getloadavg()[0]
    if load_before > (os.cpu_count() or 1) * 0.5:
        print(
            f"bench-http: the machine is busy (load average {load_before:.1f} on "
            f"{os.cpu_count()} CPUs): expect noisy numbers; the ratios hold up better than rps"
        )
    total = len(CASES) * (args.rounds * args.duration + 1)
    print(
        f"bench-http: generator {generator}, 1 thread, {args.connections} connections, "
        f"{args.rounds} x {args.duration:g}s per case (~{total:.0f}s), loopback only"
    )
    print(
        "bench-http: nginx and gunicorn as `make stack` runs them (devtools.native_stack), with "
        f"WEB_CONCURRENCY={env['WEB_CONCURRENCY']} GUNICORN_MAX_REQUESTS="
        f"{env['GUNICORN_MAX_REQUESTS']} for both apps"
    )
    cases, settings = measure(wrk, args, env)
    in_process: dict[str, float] = {}
    if args.in_process_calls:
        with_dev_secret_key(os.environ)  # app.wsgi refuses to start without a key
        from app.wsgi import app as this_app
        from bench.bare_wsgi import app as bare_app

        in_process = {
            "bare": in_process_us(bare_app, args.in_process_calls),
            "app": in_process_us(this_app, args.in_process_calls),
            "bare_cold": in_process_us(bare_app, args.in_process_calls, cold=True),
            "app_cold": in_process_us(this_app, args.in_process_calls, cold=True),
        }
    result: dict[str, Any] = {
        "generator": generator,
        "request": "GET /_probe/text (case 5: GET /nginx-health)",
        "duration_s": args.duration,
        "rounds": args.rounds,
        "connections": args.connections,
        "stack": "devtools.native_stack: the repository's nginx/ and gunicorn.conf.py",
        "gunicorn": settings,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
        },
        "cases": [
            {
                "key": case.key,
                "label": case.label,
                "rps": case.rps,
                "rps_rounds": [r.rps for r in case.rounds],
                "latency_ms": {p: case.latency(p) for p in ("50%", "90%", "99%")},
                "server_cpu_us_per_request": case.cpu_us_per_request,
                "server_cpu_us_rounds": case.cpu_us,
                "errors": case.errors,
                "runs": [asdict(r) for r in case.rounds],
            }
            for case in cases.values()
        ],
        "ratios": ratios(cases),
        "ratios_per_round": round_ratios(cases),
        "cpu_ratios": cpu_ratios(cases),
        "target_app_over_bare": TARGET_RATIO,
        "in_process_us_per_request": in_process,
    }
    met = report(result, cases)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "http.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, args.out / "http.png")
    print(f"wrote {args.out / 'http.json'} and {args.out / 'http.png'}")
    return 1 if args.strict and not met else 0


def _target(value: float) -> str:
    return f"target >= {TARGET_RATIO:.2f}: {'met' if value >= TARGET_RATIO else 'NOT met'}"


def report(result: Mapping[str, Any], cases: Mapping[str, Case]) -> bool:
    """Print the tables; True when both app/bare targets are met (by rps and, when measured,
    by CPU) with no failed request."""
    print()
    print(
        f"{'case':<32} {'rps':>9} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
        f"{'CPU us/req':>10} {'errors':>6}"
    )
    for case in cases.values():
        cpu = case.cpu_us_per_request
        print(
            f"{case.label:<32} {case.rps:>9,.0f} {case.latency('50%'):>7.2f} "
            f"{case.latency('90%'):>7.2f} {case.latency('99%'):>7.2f} "
            f"{'-' if cpu is None else f'{cpu:,.0f}':>10} {case.errors:>6}"
        )
    print("(CPU us/req: user+system time of the server processes a request passes through)")
    print()
    met = True
    per_round = result["ratios_per_round"]
    print("ratios by rps (median of per-round ratios):")
    for name, value in result["ratios"].items():
        spread = per_round[name]
        line = f"  {name:<26} {value:6.3f}  (rounds {min(spread):.2f}..{max(spread):.2f})"
        if "app/bare" in name:
            met &= value >= TARGET_RATIO
            line += "  " + _target(value)
        print(line)
    if result["cpu_ratios"]:
        print("ratios by server CPU per request (bare / app; steady on a shared machine):")
        for name, value in result["cpu_ratios"].items():
            met &= value >= TARGET_RATIO
            print(f"  {name:<26} {value:6.3f}  {_target(value)}")
    in_process = result["in_process_us_per_request"]
    if in_process:
        print(
            f"\nin-process, no HTTP: bare {in_process['bare']:.1f} us, app {in_process['app']:.1f}"
            f" us per GET /_probe/text (app adds {in_process['app'] - in_process['bare']:.1f} us)"
        )
        cold_added = in_process["app_cold"] - in_process["bare_cold"]
        print(
            f"in-process, caches cold: bare {in_process['bare_cold']:.1f} us, app"
            f" {in_process['app_cold']:.1f} us (app adds {cold_added:.1f} us; behind gunicorn the"
            " app runs like this, between the server's own work)"
        )
    machine = result["machine"]
    print(
        f"generator: {result['generator']}; gunicorn: {result['gunicorn']}; machine: "
        f"{machine['cpus']} CPUs, load average {machine['load_average_before']:.1f} at start"
        " (on a shared machine compare ratios, not absolute rps)"
    )
    if any(case.errors for case in cases.values()):
        print("WARNING: some requests failed (see errors column); those numbers are not valid")
        met = False
    return met


if __name__ == "__main__":
    raise SystemExit(main())
