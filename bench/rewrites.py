"""Query rewriting, replayed A/B on simulated traffic and judged two ways; one JSON line.

    python bench/rewrites.py [--dialogues 24000] [--new-dialogues 6000] [--per-person 32]
        [--served-sizes 10000 100000] [--transitions 100000 1000000] [--index-sizes 1000000]

- **logs**: simulated people with habits (seed 101; ``--per-person`` dialogues each, over weeks of
  their clocks). Each person's first ``--first-weeks`` of dialogues are imported with their gold labels
  (intent, slots, ``rephrase_of``, ``defect``, ``rewrite``); rephrase pairs are mined (the Markov
  solve) and the online rewriter is built from them (index, meanings, personal histories, ranker,
  thresholds for 12 : 1).
- **A/B replay**, on two kinds of traffic, each goal's first attempt in time order: the *later days
  of the same people* (their dialogues after the first weeks) and *new people* (seed 707, never seen).
  Each goes through the global layer alone, then with the personal layer (the built histories, and
  each person's requests joining theirs as the traffic goes by). Two judges, side by side:
  ``exact`` (a rewrite wins when the attempt failed and the rewrite is a wording known to serve it:
  the one that did, or the misheard words heard right; it loses when the attempt had worked) and
  ``assistant`` (the simulator's own assistant reads the rewrite instead of what it heard: a win when
  the attempt failed and it would have served the person's goal, a loss when the attempt had worked
  and the rewrite would not have; ``simulator/judge.py``). For each: the defect rate with rewriting,
  the cut as a share of all defects and of the fixable ones (failures some known wording would have
  served), wins, losses and win/loss; coverage (the share of attempts rewritten), the layers that
  rewrote, and the assistant's defects, fixable ones and wins by failure point.
- **solve at scale**: the Markov solve alone on synthetic chains of N transitions: seconds and peak
  memory.
- **latency**: ``POST /api/datasets/{name}/rewrite/`` through gunicorn with token auth, the built
  ranker over ``--served-sizes`` wordings and ``--people`` personal histories: p50 and p99 in
  milliseconds, and the worker's memory.

Empty ``--served-sizes``, ``--transitions`` or ``--index-sizes`` skip those parts.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database, peak_rss_mb

sys.path.insert(0, str(ROOT))


def _simulate(path: Path, dialogues: int, people: int, seed: int) -> None:
    from simulator.cli import main as simulator

    with contextlib.redirect_stdout(sys.stderr):
        arguments = ["--dialogues", str(dialogues), "--users", str(max(2, people)), "--seed", str(seed)]
        # Failure-heavy traffic (about 35% of first attempts fail), as every published figure of this
        # benchmark: a rewriter learns from failures, and the realistic rates leave few to learn from.
        simulator([*arguments, "--profile", "failure_heavy", "--out", str(path)])


def split_by_time(
    lines: list[dict[str, Any]], share: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each person's first ``share`` of dialogues (their first weeks), and the rest (their later days)."""
    by_person: dict[str, list[dict[str, Any]]] = {}
    for data in sorted(lines, key=lambda d: (d.get("started_at") or "", d["id"])):
        by_person.setdefault(str(data.get("user_id") or ""), []).append(data)
    earlier, later = [], []
    for dialogues in by_person.values():
        cut = round(len(dialogues) * share)
        earlier += dialogues[:cut]
        later += dialogues[cut:]
    return earlier, later


@dataclass(frozen=True)
class Replayed:
    """One request of the replay's traffic, with what each judge needs."""

    attempt: Any  # rewrites.engine.logs.Attempt
    serving: frozenset[str]  # the exact-words judge: the wordings the simulator knows would have served
    likes: tuple[str, ...]  # what the person said they like in that dialogue (learnt after the request)
    request: Any  # simulator.judge.Request: what the assistant judge asks about; None without truth
    fixable: bool  # the assistant judge: a failure that some known wording would have served


def timed_attempts(lines: list[dict[str, Any]], judge: Any) -> list[Replayed]:
    """Each goal's first attempt in time order (the replay's traffic). For the exact-words judge, the
    wordings the simulator knows would have served it: the one that did (its ``rewrite`` label) and,
    for a misheard request, what the person said, heard right (the simulator's
    ``intended_utterances``). For the assistant judge, the request's truth (``simulator.judge``)."""
    from rewrites.engine.chains import normalise
    from rewrites.engine.logs import logged_attempts
    from simulator.judge import logged_requests

    timed = []
    for data in sorted(lines, key=lambda d: (d.get("started_at") or "", d["id"])):
        truth = (data.get("metadata") or {}).get("truth") or {}
        logs = logged_attempts([data])
        requests = logged_requests(data)
        likes = tuple(next(iter(logs.preferences.values()), ()))
        for attempt in logs.attempts:
            serving = {attempt.served_by} if attempt.served_by else set()
            intended = (truth.get("intended_utterances") or {}).get(attempt.turn_id)
            if attempt.failed and attempt.turn_id in (truth.get("asr_errors") or {}) and intended:
                serving |= {normalise(intended)}
            request = requests.get(attempt.turn_id)
            known = {normalise(str(text)) for text in (intended, attempt.served_by) if text}
            fixable = bool(
                attempt.failed and request and any(judge.serves(request, text).served for text in known)
            )
            timed.append(Replayed(attempt, frozenset(serving - {attempt.utterance}), likes, request, fixable))
    return timed


def replay(rewriter: Any, timed: list[Replayed], judge: Any, *, personal: bool) -> dict[str, Any]:
    """Defects without and with rewriting, wins, losses and coverage, by both judges; with
    ``personal``, each person's requests and likes teach their personal layer as the traffic goes by
    (``Rewriter.observe``, as the logs of a served rewriter would).

    - **exact words**: a rewrite wins when the attempt failed and the rewrite is a wording known to
      serve it (the one that did, the misheard words heard right); it loses when the attempt had
      worked, even if the rewrite would have worked too. Strict both ways: a floor.
    - **assistant**: the simulator's own assistant reads the rewrite instead of what it heard
      (``simulator.judge``). A rewrite wins when the attempt failed and the assistant would have
      served the person's goal; it loses when the attempt had worked and the rewrite is not served.
    """
    # With the personal layer, a copy of the built histories learns as the traffic goes by.
    rewriter = rewriter.with_people(copy.deepcopy(rewriter.people)) if personal else rewriter
    defects = rewritten = 0
    counts = {"exact": Counter(), "assistant": Counter()}
    layers: Counter[str] = Counter()
    by_failure: dict[str, Counter[str]] = {"defects": Counter(), "fixable": Counter(), "wins": Counter()}
    for item in timed:
        attempt = item.attempt
        user = attempt.user_key if personal else ""
        decision = rewriter.decide(attempt.utterance, user, attempt.device)
        defects += attempt.failed
        by_failure["defects"][_failure_point(item)] += attempt.failed
        by_failure["fixable"][_failure_point(item)] += item.fixable
        counts["exact"]["fixable"] += attempt.failed and bool(item.serving)
        counts["assistant"]["fixable"] += item.fixable
        if decision.rewrite is not None:
            rewritten += 1
            layers[decision.layer] += 1
            exact = decision.rewrite in item.serving
            served = item.request is not None and judge.serves(item.request, decision.rewrite).served
            for name, good in (("exact", exact), ("assistant", served)):
                if attempt.failed and good:
                    counts[name]["wins"] += 1
                elif not attempt.failed and (name == "exact" or not good):
                    counts[name]["losses"] += 1
            if attempt.failed and served:
                by_failure["wins"][_failure_point(item)] += 1
        if personal:
            rewriter.observe(attempt, item.likes)
    total = len(timed)
    report: dict[str, Any] = {
        "attempts": total,
        "defect_rate_without": round(defects / total, 4) if total else 0.0,
    }
    for name, count in counts.items():
        report[name] = _figures(defects, total, count)
    report["coverage"] = round(rewritten / total, 4) if total else 0.0
    report["layers"] = dict(layers)
    report["assistant_by_failure_point"] = {name: dict(counts) for name, counts in by_failure.items()}
    return report


def _failure_point(item: Replayed) -> str:
    return item.attempt.failure_point or "unknown"


def _figures(defects: int, total: int, count: Counter[str]) -> dict[str, Any]:
    wins, losses, fixable = count["wins"], count["losses"], count["fixable"]
    remaining = defects - wins + losses
    return {
        "defect_rate": round(remaining / total, 4) if total else 0.0,
        "defects_cut": round(1 - remaining / defects, 4) if defects else 0.0,
        "fixable_defects": fixable,
        "fixable_defects_cut": round((wins - losses) / fixable, 4) if fixable else 0.0,
        "wins": wins,
        "losses": losses,
        "win_loss": round(wins / losses, 2) if losses else None,
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
    from rewrites.engine.personal import PersonalLayer
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
    scaled.people = PersonalLayer(
        {f"p{n}": _history({rng.choice(ordered): rng.randint(1, 5) for _ in range(8)}) for n in range(people)}
    )
    return scaled


def _history(served: dict[str, int]) -> Any:
    from rewrites.engine.personal import PersonHistory

    return PersonHistory(served=served, said=dict(served))


def served_latency(
    dataset: Any, rewriter: Any, utterances: list[str], people: int, requests: int
) -> dict[str, Any]:
    """``POST /api/datasets/{name}/rewrite/`` against gunicorn (one sync worker, DEBUG off) with this
    rewriter active: p50/p99 over ``requests`` answers, and the worker's memory with it loaded."""
    import requests as http
    from django.contrib.auth import get_user_model
    from django.db import connections
    from export_api import _free_port, _status_kb, _wait_until_up, _worker_pid, gunicorn_server

    from accounts.services import api_token_create
    from annotations.models import Membership, Role
    from rewrites.building import rewriter_version_save

    version = rewriter_version_save(dataset=dataset, rewriter=rewriter, stats={"bench": True})
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
        "saved_mb": round(
            sum(f.stat().st_size for f in Path(version.path).parent.glob(f"{version.pk}*")) / 1e6, 1
        ),
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


def replays(rewriter: Any, judge: Any, traffic: dict[str, list[Replayed]]) -> dict[str, Any]:
    """Each traffic's replay through the global layer alone and with the personal layer."""
    return {
        name: {
            "global": replay(rewriter, timed, judge, personal=False),
            "global_and_personal": replay(rewriter, timed, judge, personal=True),
        }
        for name, timed in traffic.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dialogues", type=int, default=24_000, help="of the people the rewriter learns from"
    )
    parser.add_argument("--new-dialogues", type=int, default=6_000, help="of people it never saw")
    parser.add_argument("--per-person", type=int, default=32, help="dialogues per person, on average")
    parser.add_argument("--first-weeks", type=float, default=0.75, help="each person's share learnt from")
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
        from simulator.judge import default_judge

        result["database"] = database_backend()
        same_path, new_path = Path(folder) / "same.jsonl", Path(folder) / "new.jsonl"
        _simulate(same_path, args.dialogues, args.dialogues // args.per_person, seed=101)
        _simulate(new_path, args.new_dialogues, args.new_dialogues // args.per_person, seed=707)
        same = [json.loads(line) for line in same_path.open(encoding="utf-8")]
        first_weeks, later_days = split_by_time(same, args.first_weeks)
        mined_path = Path(folder) / "mined.jsonl"
        mined_path.write_text("".join(json.dumps(d) + "\n" for d in first_weeks), encoding="utf-8")
        dataset = dataset_get_or_create(name="rewrites-mined")
        import_dialogues(source=ImportSource.from_path(mined_path), dataset=dataset)
        options = MiningOptions(
            labels="gold", min_probability=args.min_probability, min_support=args.min_support
        )
        result["mining"] = rewrites_mine(dataset=dataset, options=options)
        version = rewriter_build(dataset=dataset, labels="gold")
        result["rewriter"] = version.stats
        rewriter = Rewriter.load(Path(version.path))
        judge = default_judge()
        new_people = [json.loads(line) for line in new_path.open(encoding="utf-8")]
        traffic = {
            "later_days_same_people": timed_attempts(later_days, judge),
            "new_people": timed_attempts(new_people, judge),
        }
        result["ab_replay"] = replayed = {
            "learnt_from_dialogues": len(first_weeks),
            "replayed_dialogues": {"later_days_same_people": len(later_days), "new_people": len(new_people)},
            **replays(rewriter, judge, traffic),
        }
        print(
            json.dumps({"mining": result["mining"], "rewriter": result["rewriter"], **replayed}),
            file=sys.stderr,
        )
        asked = [item.attempt.utterance for item in traffic["new_people"]]
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
