"""The served endpoints as a client meets them: ``POST .../rewrite/`` and ``POST .../resolve/`` through
gunicorn, token auth, DEBUG off, at ``--wordings`` served wordings and ``--people`` people; one JSON
line per endpoint.

    python bench/served.py [--wordings 100000] [--people 100000] [--requests 2000] [--runs 3] [--workers 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/served.py

- A rewriter is learnt from ``--dialogues`` simulated dialogues (seed 101: mined pairs, the ranker and
  its thresholds), then its served index is grown to ``--wordings`` wordings and its personal layer to
  ``--people`` people (``bench/rewrites.py``'s ``scaled_rewriter``), saved and made active.
- The dataset gets the default catalogues and resolution rules, and each of the ``--people`` a liked
  team (``Preference`` rows, written in bulk).
- Gunicorn (``--workers`` sync workers) serves the project; one client sends ``--requests`` requests
  of each endpoint, one at a time, each from a person drawn at random (so most requests meet a person
  the worker has not seen since the last change: the realistic cost, one query more), after 100 to
  warm up; ``--runs`` times over, each run with requests of its own. Client-side latency p50/p95/p99
  in ms and the workers' CPU time per request, each the median of the runs, and each run's p99.
- When gunicorn stops (SIGTERM, as a deploy stops it), every rewrite answered must be in the logs:
  ``logs_written`` against ``rewrites_answered``.

Target: p99 at most 10 ms for each, at 100,000 wordings and people.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database
from export_api import _free_port, _wait_until_up, gunicorn_server

sys.path.insert(0, str(ROOT))


def _bench_rewrites() -> Any:
    """``bench/rewrites.py``, loaded under another name: as ``rewrites`` it would hide the app."""
    spec = importlib.util.spec_from_file_location("bench_rewrites", Path(__file__).with_name("rewrites.py"))
    assert spec is not None and spec.loader is not None
    if "bench_rewrites" not in sys.modules:
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_rewrites"] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
    return sys.modules["bench_rewrites"]


WARM_UP = 100


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def learnt_rewriter(folder: Path, dialogues: int, dataset: Any) -> Any:
    """The rewriter learnt from simulated logs imported into ``dataset`` (mined pairs, built)."""
    from annotations.formats.importing import ImportSource, import_dialogues
    from rewrites.building import rewriter_build
    from rewrites.engine.rewriter import Rewriter
    from rewrites.services import MiningOptions, rewrites_mine

    path = folder / "logs.jsonl"
    _bench_rewrites()._simulate(path, dialogues, max(2, dialogues // 32), seed=101)
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    rewrites_mine(dataset=dataset, options=MiningOptions(labels="gold", min_support=2))
    version = rewriter_build(dataset=dataset, labels="gold")
    return Rewriter.load(Path(version.path))


def teach_people(dataset: Any, people: int, seed: int) -> None:
    """The default catalogues and rules, and a liked team for each of ``people`` people."""
    from teachable.models import CatalogueEntry, Preference
    from teachable.services import teachable_dataset_prepare

    teachable_dataset_prepare(dataset=dataset)
    teams = list(CatalogueEntry.objects.filter(catalogue__name="team").values_list("pk", "value"))
    rng = random.Random(seed)
    rows = []
    for number in range(people):
        entity, value = rng.choice(teams)
        rows.append(
            Preference(
                dataset=dataset,
                user_key=f"p{number}",
                domain="sports",
                key="team",
                value=value,
                entity_id=entity,
                source="reviewer",
            )
        )
    Preference.objects.bulk_create(rows, batch_size=5000)


def timed(session: Any, url: str, bodies: list[dict[str, Any]]) -> list[float]:
    times = []
    for body in bodies:
        started = time.perf_counter()
        response = session.post(url, json=body, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    return times


def figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 2)

    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": at(0.95), "p99_ms": at(0.99)}


def profile(key: str, name: str, rewrite_bodies: list[Any], resolve_bodies: list[Any]) -> None:
    """Where a served request's time goes: the requests through Django's test client in this process
    under cProfile, the 25 costliest functions (cumulative) of each endpoint to stderr."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    for endpoint, bodies in (("rewrite", rewrite_bodies), ("resolve", resolve_bodies)):
        url = f"/api/datasets/{name}/{endpoint}/"
        for body in bodies[:WARM_UP]:
            client.post(url, body, content_type="application/json")
        profiler = cProfile.Profile()
        profiler.enable()
        for body in bodies[WARM_UP:]:
            client.post(url, body, content_type="application/json")
        profiler.disable()
        print(f"--- {endpoint}: {len(bodies) - WARM_UP} requests", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


def served_runs(
    key: str, name: str, workers: int, rewrite_bodies: list[Any], resolve_bodies: list[Any]
) -> dict[str, dict[str, Any]]:
    """Each run's requests of each endpoint through gunicorn: the medians of the runs' figures, and each
    run's p99."""
    import requests as http

    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/datasets/{name}"
    session = http.Session()
    session.headers["Authorization"] = f"Token {key}"
    runs: dict[str, list[dict[str, float]]] = {"rewrite": [], "resolve": []}
    with gunicorn_server(port, workers) as server:
        _wait_until_up(session, f"http://127.0.0.1:{port}")
        pids = _children(server.pid)
        for rewrites, resolves in zip(rewrite_bodies, resolve_bodies, strict=True):
            for endpoint, bodies in (("rewrite", rewrites), ("resolve", resolves)):
                url = f"{base}/{endpoint}/"
                timed(session, url, bodies[:WARM_UP])
                cpu = _cpu_seconds(pids)
                times = timed(session, url, bodies[WARM_UP:])
                cpu = _cpu_seconds(pids) - cpu
                runs[endpoint].append(
                    {**figures(times), "worker_cpu_ms_per_request": round(cpu * 1000 / len(times), 2)}
                )
    return {
        endpoint: {
            **{
                figure: round(statistics.median(run[figure] for run in measured), 2) for figure in measured[0]
            },
            "p99_ms_of_each_run": [run["p99_ms"] for run in measured],
        }
        for endpoint, measured in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=4000, help="simulated logs the rewriter learns from")
    parser.add_argument("--wordings", type=int, default=100_000, help="served wordings of the rewriter")
    parser.add_argument("--people", type=int, default=100_000, help="personal histories and preferences")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests of each endpoint")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each endpoint (medians reported)")
    parser.add_argument("--profile", action="store_true", help="profile in this process instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import connections

        from accounts.services import api_token_create
        from annotations.models import Membership, Role
        from annotations.services import dataset_get_or_create
        from rewrites.building import rewriter_version_save
        from rewrites.models import RewriteLog

        settings.SELFLEARN_REWRITERS_DIR = Path(folder) / "rewriters"
        os.environ["SELFLEARN_REWRITERS_DIR"] = str(settings.SELFLEARN_REWRITERS_DIR)
        dataset = dataset_get_or_create(name="served")
        trained = learnt_rewriter(Path(folder), args.dialogues, dataset)
        grown = _bench_rewrites().scaled_rewriter(trained, args.wordings, args.people, 11)
        rewriter_version_save(dataset=dataset, rewriter=grown, stats={"bench": True})
        teach_people(dataset, args.people, seed=13)
        assistant, _ = get_user_model().objects.get_or_create(username="bench-assistant")
        Membership.objects.get_or_create(dataset=dataset, user=assistant, defaults={"role": Role.VIEWER})
        _, key = api_token_create(user=assistant, name="served-bench")
        asked = list(trained.index.utterances)
        logs_before = RewriteLog.objects.count()
        connections.close_all()

        rng = random.Random(3)
        count = args.requests + WARM_UP
        # Each run its own requests, so each meets people the worker has not seen yet.
        rewrite_bodies = [
            [
                {"user_id": f"p{rng.randrange(args.people)}", "utterance": rng.choice(asked)}
                for _ in range(count)
            ]
            for _ in range(args.runs)
        ]
        resolve_bodies = [
            [
                {"user_id": f"p{rng.randrange(args.people)}", "intent": "sports_query", "slots": []}
                for _ in range(count)
            ]
            for _ in range(args.runs)
        ]
        if args.profile:
            profile(key, dataset.name, rewrite_bodies[0], resolve_bodies[0])
            return
        results = served_runs(key, dataset.name, args.workers, rewrite_bodies, resolve_bodies)
        logs_written = RewriteLog.objects.count() - logs_before
        for name, measured in results.items():
            emit(
                {
                    "benchmark": "served",
                    "endpoint": name,
                    "database": database_backend(),
                    "wordings": args.wordings,
                    "people": args.people,
                    "requests": args.requests,
                    "workers": args.workers,
                    **measured,
                    **(
                        {"rewrites_answered": count * args.runs, "logs_written": logs_written}
                        if name == "rewrite"
                        else {}
                    ),
                    "target_p99_ms": 10,
                }
            )


if __name__ == "__main__":
    main()
