"""Benchmark: simulated dialogues per second on one core, generation plus JSON encoding.

Prints ONE JSON line: {"benchmark": "simulate", "dialogues": N, "seconds": ..., "dialogues_per_s": ...,
"stats": {...}}; the time is the median of three runs, each a fresh Simulator (pool loading excluded:
it is a fixed start-up cost, timed separately as `load_seconds`). The stats come from one more, untimed
run of the same seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.config import SimConfig
from simulator.dialogues import Simulator
from simulator.output import encode
from simulator.stats import Stats


def timed_run(dialogues: int, users: int, seed: int) -> tuple[float, float]:
    """(load seconds, generation + encoding seconds): dialogues are encoded and dropped, as a writer would."""
    t0 = time.perf_counter()
    sim = Simulator(SimConfig(dialogues=dialogues, users=users, seed=seed))
    t1 = time.perf_counter()
    for dialogue in sim:
        encode(dialogue)
    return t1 - t0, time.perf_counter() - t1


def stats_run(dialogues: int, users: int, seed: int) -> dict[str, object]:
    """The same dialogues again, untimed, described."""
    sim = Simulator(SimConfig(dialogues=dialogues, users=users, seed=seed))
    stats = Stats()
    size = 0
    for dialogue in sim:
        size += len(encode(dialogue).encode("utf-8"))
        stats.add(dialogue)
    summary = stats.summary(sim.stage_counts)
    summary["mean_line_bytes"] = round(size / max(1, dialogues))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialogues", type=int, default=20000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    loads, times = [], []
    for _ in range(args.runs):
        load, seconds = timed_run(args.dialogues, args.users, args.seed)
        loads.append(load)
        times.append(seconds)
    summary = stats_run(args.dialogues, args.users, args.seed)
    seconds = statistics.median(times)
    print(
        json.dumps(
            {
                "benchmark": "simulate",
                "dialogues": args.dialogues,
                "seconds": round(seconds, 4),
                "dialogues_per_s": round(args.dialogues / seconds, 1),
                "load_seconds": round(statistics.median(loads), 4),
                "stats": summary,
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    main()
