"""Query rewriting, replayed A/B on simulated held-out traffic; one JSON line.

    python bench/rewrites.py [--mined-dialogues 20000] [--test-dialogues 5000] [--transitions 1000000]

- **mining and building**: simulated logs of some people (seed 101) are imported with their gold labels
  (``rephrase_of``, ``defect``, ``rewrite``); rephrase pairs are mined (the Markov solve) and the online
  rewriter is built from them (index, ranker, thresholds for 12 : 1).
- **A/B replay**: held-out traffic of *other* people (seed 707), each goal's first attempt in time
  order, through the built rewriter: the global layer alone, then with the personal layer (each
  person's served wordings joining their history as the traffic goes by). A rewrite *wins* when the
  attempt failed (a defect) and the rewrite is the wording that would have served the person (the
  simulator's ``rewrite`` label); it *loses* when the attempt had worked and was rewritten. Defect
  rate without and with rewriting, win/loss ratio and coverage (share of attempts rewritten).
- **solve at scale**: the Markov solve alone on synthetic chains of N transitions: seconds and peak
  memory.
- **latency**: ``POST /api/datasets/{name}/rewrite/`` through Django's test Client with the mined
  pairs served, p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database, peak_rss_mb

sys.path.insert(0, str(ROOT))


def _simulate(path: Path, dialogues: int, seed: int) -> None:
    from simulator.cli import main as simulator

    with contextlib.redirect_stdout(sys.stderr):
        arguments = [
            "--dialogues",
            str(dialogues),
            "--users",
            str(max(10, dialogues // 8)),
            "--seed",
            str(seed),
        ]
        simulator([*arguments, "--out", str(path)])


def timed_attempts(lines: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Each goal's first attempt with its time, in time order (the replay's traffic)."""
    from rewrites.building import logged_attempts

    timed = []
    for data in sorted(lines, key=lambda d: (d.get("started_at") or "", d["id"])):
        attempts, _ = logged_attempts([data])
        timed += [(data.get("started_at") or "", attempt) for attempt in attempts]
    return timed


def replay(rewriter: Any, timed: list[tuple[str, Any]], *, personal: bool) -> dict[str, Any]:
    """Defects without and with rewriting, wins, losses and coverage; with ``personal``, each person's
    served wordings join their history as the traffic goes by (the personal layer learns online)."""
    rewriter.personal = {}
    defects = wins = losses = rewritten = 0
    layers: dict[str, int] = {}
    for _, attempt in timed:
        decision = rewriter.decide(attempt.utterance, attempt.user_key if personal else "")
        defects += attempt.failed
        if decision.rewrite is not None:
            rewritten += 1
            layers[decision.layer] = layers.get(decision.layer, 0) + 1
            if attempt.failed and decision.rewrite == attempt.served_by:
                wins += 1
            elif not attempt.failed:
                losses += 1
        if personal and attempt.user_key:
            history = rewriter.personal.setdefault(attempt.user_key, {})
            wording = attempt.served_by if attempt.failed else attempt.utterance
            if wording:
                history[wording] = history.get(wording, 0) + 1
    total = len(timed)
    remaining = defects - wins + losses
    return {
        "attempts": total,
        "defect_rate": round(remaining / total, 4),
        "defects_cut": round(1 - remaining / defects, 4) if defects else 0.0,
        "wins": wins,
        "losses": losses,
        "win_loss": round(wins / losses, 2) if losses else None,
        "coverage": round(rewritten / total, 4),
        "layers": layers,
    }


def solve_at_scale(transitions: int, seed: int) -> dict[str, Any]:
    import resource

    from rewrites.engine.chains import Chain
    from rewrites.engine.markov import RephraseGraph, solve

    rng = random.Random(seed)
    graph = RephraseGraph()
    added = 0
    started = time.perf_counter()
    while added < transitions:
        request = rng.randrange(max(1, transitions // 8))
        length = rng.choice((2, 2, 2, 3, 3, 4))
        wordings = tuple(f"request {request} wording {rng.randrange(6)}" for _ in range(length))
        chain = Chain(
            "d", f"u{rng.randrange(10_000)}", tuple(map(str, range(length))), wordings, rng.random() < 0.8
        )
        graph.add(chain)
        added += length
    built = time.perf_counter()
    rewrites, report = solve(graph)
    solved = time.perf_counter()
    return {
        "transitions": report.transitions,
        "states": report.states,
        "build_seconds": round(built - started, 1),
        "solve_seconds": round(solved - built, 1),
        "iterations": report.iterations,
        "rewrites": len(rewrites),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def latency(dataset: Any, utterances: list[str], requests: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from annotations.models import Membership, Role

    viewer = get_user_model().objects.create_user(username="bench-viewer")
    Membership.objects.create(dataset=dataset, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    url = f"/api/datasets/{dataset.name}/rewrite/"
    rng = random.Random(3)
    times = []
    for number in range(requests + 50):
        body = json.dumps({"user_id": "u1", "utterance": rng.choice(utterances)})
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        if number >= 50:
            times.append(elapsed)
    times.sort()
    return {
        "requests": requests,
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mined-dialogues", type=int, default=20_000)
    parser.add_argument("--test-dialogues", type=int, default=5_000)
    parser.add_argument("--min-probability", type=float, default=0.5)
    parser.add_argument("--min-support", type=int, default=2)
    parser.add_argument("--transitions", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "rewrites"}
    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from annotations.formats.importing import ImportSource, import_dialogues
        from annotations.services import dataset_get_or_create
        from rewrites.building import rewriter_build
        from rewrites.engine.rewriter import Rewriter
        from rewrites.services import MiningOptions, rewrites_mine

        result["database"] = database_backend()
        mined_path, test_path = Path(folder) / "mined.jsonl", Path(folder) / "test.jsonl"
        _simulate(mined_path, args.mined_dialogues, seed=101)
        _simulate(test_path, args.test_dialogues, seed=707)
        dataset = dataset_get_or_create(name="rewrites-mined")
        import_dialogues(source=ImportSource.from_path(mined_path), dataset=dataset)
        options = MiningOptions(
            labels="gold", min_probability=args.min_probability, min_support=args.min_support
        )
        result["mining"] = rewrites_mine(dataset=dataset, options=options)
        version = rewriter_build(dataset=dataset, labels="gold")
        result["rewriter"] = version.stats
        rewriter = Rewriter.load(Path(version.path))
        lines = [json.loads(line) for line in test_path.open(encoding="utf-8")]
        timed = timed_attempts(lines)
        defects = sum(attempt.failed for _, attempt in timed)
        result["ab_replay"] = {
            "mined_dialogues": args.mined_dialogues,
            "test_dialogues": args.test_dialogues,
            "defect_rate_without": round(defects / len(timed), 4),
            "global": replay(rewriter, timed, personal=False),
            "global_and_personal": replay(rewriter, timed, personal=True),
        }
        result["latency"] = latency(dataset, [attempt.utterance for _, attempt in timed], args.requests)
    result["solve_at_scale"] = [solve_at_scale(n, seed=5) for n in args.transitions]
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


if __name__ == "__main__":
    main()
