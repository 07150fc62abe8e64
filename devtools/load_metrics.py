"""Server-side latency percentiles of a load run, read from the app's Prometheus metrics.

    python -m devtools.load_metrics [--source URL] -- python -m devtools.load --host ...

Reads ``http_request_duration_seconds`` (wsgistack/metrics.py) before and after the command
runs and prints the p50/p95/p99 of the requests in between, computed from the histogram buckets
as Prometheus' ``histogram_quantile`` does, next to locust's own (client-side) numbers from
``loadtests/results/summary.json``. The difference is the time outside the app: nginx, the
network, the client, queueing in gunicorn's backlog.

Sources, the first that answers unless ``--source`` names one:

- Prometheus of the compose ``monitoring`` profile (``http://127.0.0.1:9090``): all replicas;
- a gunicorn master's ``/metrics`` (``http://127.0.0.1:9100/metrics``, ``METRICS_PORT``).

Exits with the command's exit code; a missing source only prints a note.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "loadtests" / "results" / "summary.json"
DEFAULT_SOURCES = ("http://127.0.0.1:9090", "http://127.0.0.1:9100/metrics")
BUCKET = "http_request_duration_seconds_bucket"
QUANTILES = (0.5, 0.95, 0.99)
# Prometheus scrapes every 5 s (monitoring/prometheus.yml): wait that long for the last requests.
SCRAPE_SETTLE_SECONDS = 6.0

Buckets = dict[float, float]  # upper bound (le) -> cumulative count, summed over all series


def _get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return str(reply.read().decode())


def is_prometheus(source: str) -> bool:
    return not source.rstrip("/").endswith("/metrics")


def snapshot(source: str) -> Buckets:
    """The cumulative bucket counts now, summed over routes, methods, statuses (and replicas)."""
    buckets: Buckets = {}
    if is_prometheus(source):
        query = urllib.parse.urlencode({"query": f"sum by (le) ({BUCKET})"})
        data = json.loads(_get(f"{source.rstrip('/')}/api/v1/query?{query}"))
        for item in data["data"]["result"]:
            le = float(item["metric"]["le"])
            buckets[le] = buckets.get(le, 0.0) + float(item["value"][1])
        return buckets
    for family in text_string_to_metric_families(_get(source)):
        for sample in family.samples:
            if sample.name == BUCKET:
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
    return buckets


def quantile(q: float, before: Mapping[float, float], after: Mapping[float, float]) -> float | None:
    """The q-quantile in seconds of the observations between two snapshots (linear within a
    bucket, like ``histogram_quantile``); None when there were none."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank = q * counts[-1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # beyond the last finite bucket: its bound is all we know
            width = count - lower_count
            share = (rank - lower_count) / width if width > 0 else 1.0
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return None


def first_answering(sources: Sequence[str]) -> str | None:
    for source in sources:
        try:
            snapshot(source)
        except (OSError, ValueError, KeyError):
            continue
        return source
    return None


def client_percentiles(summary: Path = SUMMARY) -> dict[str, float | None]:
    """locust's aggregated p50/p95/p99 in ms from the gate's summary, if the run wrote one."""
    try:
        rows = json.loads(summary.read_text())["rows"]
    except (OSError, ValueError, KeyError):
        return {}
    total = next((row for row in rows if row.get("name") == "Aggregated"), None)
    if total is None:
        return {}
    return {name: total.get(f"{name}_ms") for name in ("p50", "p95", "p99")}


def report(before: Buckets, after: Buckets, source: str, client: Mapping[str, float | None]) -> str:
    requests = (after.get(math.inf, 0.0) - before.get(math.inf, 0.0)) if after else 0.0
    lines = [f"server side ({source}): {requests:.0f} requests"]
    lines.append(f"{'':<8} {'server ms':>10} {'client ms':>10}")
    for q in QUANTILES:
        name = f"p{q * 100:g}"
        server = quantile(q, before, after)
        server_text = "-" if server is None else f"{server * 1000:.1f}"
        client_value = client.get(name)
        client_text = "-" if client_value is None else f"{client_value:.0f}"
        lines.append(f"{name:<8} {server_text:>10} {client_text:>10}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in args_list:
        split = args_list.index("--")
        args_list, command = args_list[:split], args_list[split + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", help="Prometheus base URL or a /metrics URL")
    args = parser.parse_args(args_list)
    if not command:
        parser.error("give the load command after --")

    source = first_answering([args.source] if args.source else DEFAULT_SOURCES)
    before = snapshot(source) if source else {}
    code = subprocess.call(command)
    if source is None:
        print(
            "\nserver side: no metrics source answered (start compose with --profile monitoring,"
            " or point --source at a gunicorn master's METRICS_PORT)"
        )
        return code
    if is_prometheus(source):
        time.sleep(SCRAPE_SETTLE_SECONDS)
    print()
    print(report(before, snapshot(source), source, client_percentiles()))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
