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


Timed = list[tuple[Any, frozenset[str], tuple[str, ...]]]


def timed_attempts(lines: list[dict[str, Any]]) -> Timed:
    """Each goal's first attempt in time order (the replay's traffic), with the wordings the simulator
    knows would have served it: the one that did (its ``rewrite`` label) and, for a misheard request,
    what the person said, heard right (the simulator's ``intended_utterances``); and what the person
    said they like in that dialogue (taught after the request: the replay learns it afterwards)."""
    from rewrites.engine.chains import normalise
    from rewrites.engine.logs import logged_attempts

    timed = []
    for data in sorted(lines, key=lambda d: (d.get("started_at") or "", d["id"])):
        truth = (data.get("metadata") or {}).get("truth") or {}
        logs = logged_attempts([data])
        likes = tuple(next(iter(logs.preferences.values()), ()))
        for attempt in logs.attempts:
            serving = {attempt.served_by} if attempt.served_by else set()
            if attempt.failed and attempt.turn_id in (truth.get("asr_errors") or {}):
                intended = (truth.get("intended_utterances") or {}).get(attempt.turn_id)
                serving |= {normalise(intended)} if intended else set()
            timed.append((attempt, frozenset(serving - {attempt.utterance}), likes))
    return timed


def replay(rewriter: Any, timed: Timed, *, personal: bool) -> dict[str, Any]:
    """Defects without and with rewriting, wins, losses and coverage; with ``personal``, each person's
    served wordings and stated likes join their history as the traffic goes by (the personal layer
    learns online, as the teachable store would).

    A rewrite wins when the attempt failed and the rewrite is a wording that would have served it; it
    loses when the attempt had worked (even if the rewrite would have worked too: the judge is strict
    both ways, so the figures are a floor)."""
    rewriter.personal, rewriter.preferences = {}, {}
    likes: dict[str, list[str]] = {}
    defects = fixable = wins = losses = rewritten = 0
    layers: dict[str, int] = {}
    for attempt, serving, stated in timed:
        user = attempt.user_key if personal else ""
        decision = rewriter.decide(attempt.utterance, user, attempt.device, likes.get(user, ()))
        defects += attempt.failed
        fixable += attempt.failed and bool(serving)
        if decision.rewrite is not None:
            rewritten += 1
            layers[decision.layer] = layers.get(decision.layer, 0) + 1
            if attempt.failed and decision.rewrite in serving:
                wins += 1
            elif not attempt.failed:
                losses += 1
        if personal and attempt.user_key:
            history = rewriter.personal.setdefault(attempt.user_key, {})
            wording = attempt.served_by if attempt.failed else attempt.utterance
            if wording:
                history[wording] = history.get(wording, 0) + 1
            known = likes.setdefault(attempt.user_key, [])
            known += [value for value in stated if value not in known]
    total = len(timed)
    remaining = defects - wins + losses
    return {
        "attempts": total,
        "defect_rate": round(remaining / total, 4),
        "defects_cut": round(1 - remaining / defects, 4) if defects else 0.0,
        "fixable_defects_cut": round((wins - losses) / fixable, 4) if fixable else 0.0,
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


def scaled_rewriter(trained: Any, utterances: int, people: int, seed: int) -> Any:
    """The trained ranker and thresholds over a served index of ``utterances`` wordings (the mined
    ones, then variants of them with a word of their vocabulary inserted) and ``people`` personal
    histories of eight wordings each."""
    import copy

    from rewrites.engine.retrieval import ServedIndex

    rng = random.Random(seed)
    mined = list(trained.index.utterances)
    vocabulary = sorted({word for wording in mined for word in wording.split()})
    wordings = set(mined)
    while len(wordings) < utterances:
        words = rng.choice(mined).split()
        words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary))
        wordings.add(" ".join(words))
    ordered = sorted(wordings)[:utterances]
    scaled = copy.copy(trained)
    scaled.index = ServedIndex(ordered, [rng.randint(1, 20) for _ in ordered])
    scaled.personal = {
        f"p{n}": {rng.choice(ordered): rng.randint(1, 5) for _ in range(8)} for n in range(people)
    }
    return scaled


def served_latency(
    dataset: Any, rewriter: Any, utterances: list[str], people: int, requests: int
) -> dict[str, Any]:
    """``POST /api/datasets/{name}/rewrite/`` against gunicorn (one sync worker, DEBUG off) with this
    rewriter active: p50/p99 over ``requests`` answers, and the worker's memory with it loaded."""
    import requests as http
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connections
    from export_api import _free_port, _status_kb, _wait_until_up, _worker_pid, gunicorn_server

    from accounts.services import api_token_create
    from annotations.models import Membership, Role
    from rewrites.models import RewriterVersion

    version = RewriterVersion.objects.create(dataset=dataset, path="", stats={"bench": True})
    path = Path(settings.SELFLEARN_REWRITERS_DIR) / dataset.name / f"{version.pk}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rewriter.save(path)
    version.path = str(path)
    version.save(update_fields=["path"])
    RewriterVersion.objects.filter(dataset=dataset).exclude(pk=version.pk).update(active=False)
    viewer, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    Membership.objects.get_or_create(dataset=dataset, user=viewer, defaults={"role": Role.VIEWER})
    _, key = api_token_create(user=viewer, name=f"bench-{version.pk}")
    connections.close_all()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    session = http.Session()
    session.headers["Authorization"] = f"Token {key}"
    url = f"{base}/api/datasets/{dataset.name}/rewrite/"
    rng = random.Random(3)
    times = []
    with gunicorn_server(port) as server:
        _wait_until_up(session, base)
        worker = _worker_pid(server.pid)
        for number in range(requests + 50):  # the first 50 load the rewriter and warm up
            body = {"user_id": f"p{rng.randrange(people)}", "utterance": rng.choice(utterances)}
            started = time.perf_counter()
            response = session.post(url, json=body, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.content
            if number >= 50:
                times.append(elapsed)
        worker_rss_mb = round(_status_kb(worker, "VmRSS") / 1024, 1)
    times.sort()
    return {
        "served_utterances": len(rewriter.index.utterances),
        "people": people,
        "requests": requests,
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "worker_rss_mb": worker_rss_mb,
        "saved_mb": round(sum(f.stat().st_size for f in path.parent.glob(f"{version.pk}*")) / 1e6, 1),
    }


def index_memory(utterances: int, seed: int) -> dict[str, Any]:
    """The served index alone at ``utterances`` wordings: build seconds and the memory it holds."""
    import gc

    from rewrites.engine.retrieval import ServedIndex

    rng = random.Random(seed)
    words = [f"w{n}" for n in range(20_000)]
    wordings = sorted({" ".join(rng.choices(words, k=rng.randint(3, 9))) for _ in range(utterances)})
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    index = ServedIndex(wordings, [1] * len(wordings))
    built = time.perf_counter() - started
    gc.collect()
    held = _rss_mb() - before
    started = time.perf_counter()
    for wording in wordings[:1000]:
        index.nearest(wording)
    per_lookup_ms = time.perf_counter() - started
    return {
        "served_utterances": len(wordings),
        "build_seconds": round(built, 1),
        "index_mb": round(held, 1),
        "lookup_ms": round(per_lookup_ms, 3),
    }


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mined-dialogues", type=int, default=20_000)
    parser.add_argument("--test-dialogues", type=int, default=5_000)
    parser.add_argument("--min-probability", type=float, default=0.5)
    parser.add_argument("--min-support", type=int, default=2)
    parser.add_argument("--transitions", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--served-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--index-sizes", type=int, nargs="*", default=[1_000_000])
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
        defects = sum(attempt.failed for attempt, _, _ in timed)
        result["ab_replay"] = replayed = {
            "mined_dialogues": args.mined_dialogues,
            "test_dialogues": args.test_dialogues,
            "defect_rate_without": round(defects / len(timed), 4),
            "global": replay(rewriter, timed, personal=False),
            "global_and_personal": replay(rewriter, timed, personal=True),
        }
        print(
            json.dumps({"mining": result["mining"], "rewriter": result["rewriter"], **replayed}),
            file=sys.stderr,
        )
        asked = [attempt.utterance for attempt, _, _ in timed]
        result["latency"] = [
            served_latency(
                dataset, scaled_rewriter(rewriter, size, args.people, 11), asked, args.people, args.requests
            )
            for size in args.served_sizes
        ]
    result["solve_at_scale"] = [solve_at_scale(n, seed=5) for n in args.transitions]
    result["index_memory"] = [index_memory(n, seed=7) for n in args.index_sizes]
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


if __name__ == "__main__":
    main()
