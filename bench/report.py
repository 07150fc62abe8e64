"""What ``bench.dispatch`` prints and summarises: the table, one row a case, the notes under it
(contenders without a column, a case's own explanation) and the verdict against the target."""

from __future__ import annotations

from typing import Any

#: The contenders, in table order; "framework" is flasklite.
CONTENDERS = ("bare", "werkzeug", "framework", "bottle", "falcon", "flask")
LABELS = {"framework": "flasklite"}
PEERS = ("bottle", "falcon")
#: The speed flasklite aims for, as a multiple of Flask's, on every case.
TARGET_VS_FLASK = 5.0


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Where flasklite stands: its slowest case against Flask, and every case a peer wins."""
    ratios = {row["case"]: row["timings"]["framework"]["speedup_vs_flask"] for row in rows}
    peers_faster = []
    for row in rows:
        ours = row["timings"]["framework"]["best_us"]
        for peer in PEERS:
            theirs = row["timings"].get(peer)
            if theirs is not None and theirs["best_us"] < ours:
                peers_faster.append(
                    {
                        "case": row["case"],
                        "peer": peer,
                        "peer_us": theirs["best_us"],
                        "framework_us": ours,
                        "peer_faster_by": ours / theirs["best_us"],
                    }
                )
    below = sorted(case for case, ratio in ratios.items() if ratio < TARGET_VS_FLASK)
    return {
        "target_vs_flask": TARGET_VS_FLASK,
        "framework_vs_flask": ratios,
        "cases_below_target": below,
        "peers_faster": peers_faster,
    }


def _label(name: str) -> str:
    return LABELS.get(name, name)


HEADER = (
    f"{'case':<11}"
    + "".join(f"{_label(name) + ' µs':>14}" for name in CONTENDERS)
    + "".join(f"{_label(name) + ' x flask':>19}" for name in ("framework", *PEERS))
)


def print_row(row: dict[str, Any]) -> None:
    t = row["timings"]
    cells = [f"{t[name]['best_us']:>14.2f}" if name in t else f"{'-':>14}" for name in CONTENDERS]
    ratios = [
        f"{t[name]['speedup_vs_flask']:>18.1f}x" if name in t else f"{'-':>19}"
        for name in ("framework", *PEERS)
    ]
    print(f"{row['case']:<11}" + "".join(cells) + "".join(ratios), flush=True)


def print_summary(summary: dict[str, Any]) -> None:
    ratios = summary["framework_vs_flask"]
    if not ratios:
        return
    slowest = min(ratios, key=ratios.get)
    verdict = "met" if not summary["cases_below_target"] else "NOT met"
    print(
        f"flasklite vs Flask: at least {ratios[slowest]:.1f}x (case {slowest});"
        f" target {summary['target_vs_flask']:.0f}x on every case: {verdict}"
        + (f" (below: {', '.join(summary['cases_below_target'])})" if verdict != "met" else "")
    )
    if not summary["peers_faster"]:
        print("Bottle and Falcon are slower than flasklite on every case.")
    for win in summary["peers_faster"]:
        print(
            f"{win['peer']} beats flasklite on {win['case']}: {win['peer_us']:.2f} µs vs"
            f" {win['framework_us']:.2f} µs ({win['peer_faster_by']:.2f}x faster)"
        )


def print_notes(rows: list[dict[str, Any]]) -> None:
    """Under the table: why a contender has no column, and what a case explained."""
    for row in rows:
        for name, reason in row.get("not_applicable", {}).items():
            print(f"{row['case']}: no {name} column ({reason})")
        if "explained" in row:
            print(row["explained"]["note"])
