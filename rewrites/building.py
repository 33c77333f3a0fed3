"""Building the online rewriter of a dataset (a job, in the workers), and finding the built one that
answers: the served-utterance index, the personal histories, the Markov probabilities and the ranker,
from the dataset's logs and their best labels."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from annotations.formats.exporting import LabelSelection, iter_export_lines
from annotations.models import Dataset
from jobs.models import Job
from jobs.services import JobProgress, job_create, job_fail, job_start, job_succeed
from rewrites.engine.chains import dialogue_chains, normalise
from rewrites.engine.markov import RephraseGraph, solve
from rewrites.engine.retrieval import ServedIndex
from rewrites.engine.rewriter import Attempt, Rewriter
from rewrites.models import RewriterVersion
from selflearn_site.exceptions import ApplicationError

MIN_WIN_LOSS = 12.0
_loaded: dict[int, Rewriter] = {}
_lock = threading.Lock()


def rewriter_build_job_create(*, dataset: Dataset, user: Any, labels: str = "best") -> Job:
    LabelSelection.parse(labels)
    return job_create(kind=Job.Kind.BUILD_REWRITER, dataset=dataset, user=user, params={"labels": labels})


def rewriter_build_job_run(*, job: Job) -> Job:
    dataset = job.dataset
    assert dataset is not None  # a rewriter job is always filed under its dataset
    job_start(job=job, phase="reading the logs")
    progress = JobProgress(job)
    try:
        version = rewriter_build(dataset=dataset, labels=job.params.get("labels", "best"), job=job)
    except ApplicationError as error:
        return job_fail(job=job, error=error.message)
    finally:
        progress.close()
    return job_succeed(job=job, result={"rewriter": version.pk, **version.stats})


def logged_attempts(lines: Any) -> tuple[list[Attempt], RephraseGraph]:
    """Each goal's first attempt (what was said, by whom, whether it failed, and the wording that
    served the person: the turn's ``rewrite`` label, else the end of its rephrase chain when that was
    served), and the rephrase graph of every chain."""
    attempts: list[Attempt] = []
    graph = RephraseGraph()
    for data in lines:
        labels = data.get("labels") or {}
        turn_labels = labels.get("turns") or {}
        chains = dialogue_chains(data, single_turns=True)
        for chain in chains:
            graph.add(chain)
        ends = {chain.turn_ids[0]: chain for chain in chains if len(chain.turn_ids) > 1}
        utterance_of = {
            str(turn.get("id")): str(turn.get("utterance") or "") for turn in data.get("turns") or []
        }
        firsts = [goal["turns"][0] for goal in labels.get("goals") or [] if goal.get("turns")]
        for first in firsts or [chain.turn_ids[0] for chain in chains]:
            label = turn_labels.get(first) or {}
            if label.get("defect") is None or not utterance_of.get(first, "").strip():
                continue
            failed = bool(label["defect"])
            served_by = None
            if failed and label.get("rewrite"):
                served_by = normalise(str(label["rewrite"]))
            elif failed and first in ends and ends[first].succeeded:
                served_by = ends[first].utterances[-1]
            attempts.append(
                Attempt(normalise(utterance_of[first]), str(data.get("user_id") or ""), failed, served_by)
            )
    return attempts, graph


def rewriter_build(*, dataset: Dataset, labels: str = "best", job: Job | None = None) -> RewriterVersion:
    started = time.perf_counter()
    lines = (
        json.loads(line)
        for line in iter_export_lines(dataset=dataset, selection=LabelSelection.parse(labels))
    )
    attempts, graph = logged_attempts(lines)
    if not attempts:
        raise ApplicationError(
            "No request in this dataset has a known outcome (a defect label), so nothing can be learned "
            "about rewriting it.",
            extra={"field": "labels"},
        )
    served: Counter[str] = Counter(graph.served)
    personal: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for attempt in attempts:
        if not attempt.failed:
            served[attempt.utterance] += 1
            if attempt.user_key:
                personal[attempt.user_key][attempt.utterance] += 1
    if not served:
        raise ApplicationError("No request in this dataset was served: there is nothing to rewrite into.")
    utterances = sorted(served)
    rewrites, solved = solve(graph)
    rewriter = Rewriter(
        index=ServedIndex(utterances, [served[u] for u in utterances]),
        markov={(r.source, r.target): r.probability for r in rewrites},
        personal={user: dict(counts) for user, counts in personal.items()},
    )
    fitted = rewriter.fit(attempts, min_win_loss=MIN_WIN_LOSS)
    with transaction.atomic():
        version = RewriterVersion.objects.create(dataset=dataset, path="", built_by_job=job)
        path = Path(settings.SELFLEARN_REWRITERS_DIR) / dataset.name / f"{version.pk}.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        rewriter.save(path)
        version.path = str(path)
        version.stats = {
            "attempts": len(attempts),
            "failed": sum(a.failed for a in attempts),
            "served_utterances": len(utterances),
            "people": len(personal),
            "chains_transitions": solved.transitions,
            **{key: round(value, 4) for key, value in fitted.items()},
            "seconds": round(time.perf_counter() - started, 1),
        }
        version.save(update_fields=["path", "stats"])
        RewriterVersion.objects.filter(dataset=dataset).exclude(pk=version.pk).update(active=False)
    return version


def active_rewriter(dataset: Dataset) -> Rewriter | None:
    """The newest active rewriter of the dataset, loaded once per process (one query per request to
    see whether a newer one was built)."""
    version = RewriterVersion.objects.filter(dataset=dataset, active=True).values_list("pk", "path").first()
    if version is None:
        return None
    pk, path = version
    rewriter = _loaded.get(pk)
    if rewriter is None:
        rewriter = Rewriter.load(Path(path))
        with _lock:
            _loaded.clear()  # one rewriter per process is plenty; an old one is not used again
            _loaded[pk] = rewriter
    return rewriter
