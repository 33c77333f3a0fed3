"""The pool-children probe of bench/faults.py: reviewers collide on labels at the revision they read
while jobs run, and the worker's pool children are SIGKILLed twice."""

import argparse
import contextlib
import os
import random
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _faults_support import (
    Api,
    Site,
    dialogues_exactly_once,
    job_finished,
    jobs_succeeded,
    labels_exactly_once,
    pool_children,
    sleep_until,
    wait,
)
from _faults_world import JOB_SECONDS, World, _labelling_dataset, _site, _start_import, _start_labelling

KILLS = 2


@dataclass
class Tally:
    """What the reviewers saw, shared by their threads."""

    lock: threading.Lock
    statuses: Counter[int]
    save_seconds: list[float]
    # label id -> [(revision sent, revision returned)] of applied decisions
    applied: dict[int, list[tuple[int, int]]]
    errors: list[str]


def reviewer_loop(api: Api, dialogues: list[int], stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        dialogue = rng.choice(dialogues)
        status, page, _ = api.call("GET", f"/api/datasets/review/review/dialogues/{dialogue}/")
        with tally.lock:
            tally.statuses[status] += 1
            if status != 200:
                tally.errors.append(f"page {dialogue}: {status} {str(page)[:200]}")
        labels = [
            label for label in (page or {}).get("labels", []) if label.get("kind") in ("intent", "defect")
        ]
        if status != 200 or not labels:
            continue
        label = rng.choice(labels)
        body = {"action": rng.choice(["accept", "reject"]), "revision": label["revision"]}
        status, outcome, seconds = api.call(
            "POST", f"/api/datasets/review/review/labels/{label['id']}/decision/", body
        )
        with tally.lock:
            tally.statuses[status] += 1
            tally.save_seconds.append(seconds)
            if status == 200:
                returned = {item["id"]: item["revision"] for item in outcome["labels"]}
                if label["id"] in returned:
                    tally.applied[label["id"]].append((label["revision"], returned[label["id"]]))
            elif status != 409:
                tally.errors.append(f"decision {label['id']}: {status} {str(outcome)[:200]}")


def _kill_pool_children_twice(
    worker: Any, site: Site, world: World, imports: list[int], began: float, seconds: float
) -> list[dict[str, Any]]:
    """At a third and two thirds of the soak, SIGKILL every pool child while a job runs (an import is
    started first when none does)."""
    from jobs.models import Job

    kills, api = [], Api(site.base, world.admin_token)
    for kill in range(1, KILLS + 1):
        sleep_until(began + seconds * kill / (KILLS + 1))
        if not Job.objects.filter(status=Job.Status.RUNNING).exists():
            imports.append(_start_import(api, world, f"incoming-{kill}"))
            wait(lambda: Job.objects.filter(status=Job.Status.RUNNING).exists(), 30, "a running job")
        running = list(Job.objects.filter(status=Job.Status.RUNNING).values_list("pk", "kind"))
        children = pool_children(worker)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        kills.append({"at_s": round(time.monotonic() - began, 1), "children": len(children),
                      "running_jobs": [f"{kind} {pk}" for pk, kind in running]})  # fmt: skip
    return kills


def _lost_updates(tally: Tally) -> int:
    from annotations.models import Label

    lost = 0
    for label_id, applied in tally.applied.items():
        returned = [after for _, after in applied]
        if len(set(returned)) != len(returned) or any(after <= sent for sent, after in applied):
            lost += 1
        if Label.objects.get(pk=label_id).revision != max(returned):
            lost += 1
    return lost


def probe_pool_children_killed(world: World, args: argparse.Namespace, port: int) -> dict[str, Any]:
    """Reviewers collide on labels while jobs run and the worker's pool children are killed twice."""
    dataset = _labelling_dataset(world, "to-label", args.label_dialogues)
    with _site(world, "pool-children", port) as site:
        admin = Api(site.base, world.admin_token)
        site.start_web(admin)
        worker = site.start_worker("soak")
        imports = [_start_import(admin, world, "incoming-0")]
        labelling = _start_labelling(admin, dataset, world.model)
        tally = Tally(threading.Lock(), Counter(), [], defaultdict(list), [])
        stop = threading.Event()
        threads = [threading.Thread(target=reviewer_loop, daemon=True,
                                    args=(Api(site.base, token), world.review_dialogues, stop, tally, number))
                   for number, token in enumerate(world.reviewer_tokens)]  # fmt: skip
        began = time.monotonic()
        for thread in threads:
            thread.start()
        kills = _kill_pool_children_twice(worker, site, world, imports, began, args.seconds)
        sleep_until(began + args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        soak_seconds = time.monotonic() - began
        ids = [labelling, *imports]
        wait(lambda: all(job_finished(pk) for pk in ids), JOB_SECONDS, "the jobs to end")
        worker_alive = worker.poll() is None
    report = _pool_children_report(world, tally, kills, seconds=soak_seconds, worker_alive=worker_alive)
    for check in [jobs_succeeded(ids), labels_exactly_once(dataset, world.model)] + [
        dialogues_exactly_once(f"incoming-{number}", world.import_lines) for number in range(len(imports))
    ]:
        report["verified"].append(check[0])
        report["problems"] += check[1]
    return report


def _pool_children_report(
    world: World, tally: Tally, kills: list[dict[str, Any]], *, seconds: float, worker_alive: bool
) -> dict[str, Any]:
    problems = list(tally.errors[:10])
    server_errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    lost = _lost_updates(tally)
    if lost:
        problems.append(f"{lost} labels lost an update")
    verified = [f"{len(tally.save_seconds)} decisions: {server_errors} 5xx, {lost} lost updates"]
    if not worker_alive:
        problems.append("the worker exited")
    saves = sorted(tally.save_seconds)
    return {
        "injected": [
            f"SIGKILL to {kill['children']} pool children at {kill['at_s']} s while "
            f"{', '.join(kill['running_jobs'])} ran"
            for kill in kills
        ],
        "verified": [*verified, f"the worker survived: {worker_alive}"],
        "problems": problems,
        "reviewers": len(world.reviewer_tokens),
        "decisions_per_s": round(len(saves) / seconds, 1),
        "applied": sum(len(applied) for applied in tally.applied.values()),
        "refused_409": tally.statuses.get(409, 0),
        "save_ms": {
            "p50": round(saves[len(saves) // 2] * 1000, 1) if saves else None,
            "p95": round(saves[int(len(saves) * 0.95)] * 1000, 1) if saves else None,
        },
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
    }
