"""Building the online rewriter of a dataset (a job, in the workers), and finding the built one that
answers: the served-utterance index, the personal histories, the Markov probabilities and the ranker,
from the dataset's logs and their best labels."""

from __future__ import annotations

import logging
import pickle
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from annotations.formats.exporting import LabelSelection
from annotations.models import Dataset
from annotations.selectors import dialogue_records
from annotations.services import dataset_serving_changed
from jobs.models import Job
from jobs.services import JobProgress, job_create, job_fail, job_start, job_succeed
from rewrites.engine.fitting import fit_rewriter
from rewrites.engine.logs import logged_attempts
from rewrites.engine.replay import TruthWatch
from rewrites.engine.rewriter import Rewriter
from rewrites.judging import held_out_replay
from rewrites.models import RewriterVersion
from selflearn_site.exceptions import ApplicationError

MIN_WIN_LOSS = 12.0
logger = logging.getLogger(__name__)
_loaded: dict[int, Rewriter] = {}
_lock = threading.Lock()


BUILD_REWRITER_JOB = "rewriter"  # the kind of a build job (registered in rewrites.apps)


def build_rewriter_job_create(*, dataset: Dataset, user: Any, labels: str = "best") -> Job:
    LabelSelection.parse(labels)
    return job_create(kind=BUILD_REWRITER_JOB, dataset=dataset, user=user, params={"labels": labels})


def build_rewriter_job_run(*, job: Job) -> Job:
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


def rewriter_build(*, dataset: Dataset, labels: str = "best", job: Job | None = None) -> RewriterVersion:
    started = time.perf_counter()
    lines = TruthWatch(record.data for record in dialogue_records(dataset, labels=labels))
    logs = logged_attempts(lines)
    attempts, chains = logs.attempts, logs.chains
    if not attempts:
        raise ApplicationError(
            "No request in this dataset has a known outcome (a defect label), so nothing can be learned "
            "about rewriting it.",
            extra={"field": "labels"},
        )
    if not any(chain.succeeded for chain in chains):
        raise ApplicationError("No request in this dataset was served: there is nothing to rewrite into.")
    rewriter, fitted, held_out = fit_rewriter(
        attempts, chains, logs.preferences, logs.readings, min_win_loss=MIN_WIN_LOSS
    )
    # Simulated logs know how the assistant would have read any words: the held-out decisions are
    # judged by it too (the Rewrites page shows the figures).
    replay = held_out_replay(dataset=dataset, labels=labels, held_out=held_out) if lines.seen else None
    stats: dict[str, Any] = {
        "attempts": len(attempts),
        "failed": sum(a.failed for a in attempts),
        "served_utterances": len(rewriter.index.utterances),
        "people": len(rewriter.people.people),
        "markov_rewrites": len(rewriter.markov_rewrite),
        **{key: round(value, 4) for key, value in fitted.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    if replay is not None:
        stats["assistant_replay"] = replay
    return rewriter_version_save(dataset=dataset, rewriter=rewriter, stats=stats, job=job)


@transaction.atomic
def rewriter_version_save(
    *, dataset: Dataset, rewriter: Rewriter, stats: dict[str, Any], job: Job | None = None
) -> RewriterVersion:
    """Save ``rewriter`` as the dataset's active version (the others stop serving) and tell the
    serving caches, in one transaction."""
    version = RewriterVersion.objects.create(dataset=dataset, path="", built_by_job=job, stats=stats)
    path = Path(settings.SELFLEARN_REWRITERS_DIR) / dataset.name / f"{version.pk}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rewriter.save(path)
    version.path = str(path)
    version.save(update_fields=["path"])
    RewriterVersion.objects.filter(dataset=dataset).exclude(pk=version.pk).update(active=False)
    dataset_serving_changed(dataset=dataset)
    return version


def active_rewriter(dataset: Dataset) -> Rewriter | None:
    """The newest active rewriter of the dataset, loaded once per process (one query per call to
    see whether a newer one was built; the served endpoint asks ``rewrites.serving`` instead)."""
    version = RewriterVersion.objects.filter(dataset=dataset, active=True).values_list("pk", "path").first()
    if version is None:
        return None
    return rewriter_load(*version, dataset=dataset)


def rewriter_load(pk: int, path: str, *, dataset: Dataset) -> Rewriter | None:
    """The rewriter version ``pk`` saved at ``path``, loaded once per process; None (and a warning)
    when its file cannot be read."""
    rewriter = _loaded.get(pk)
    if rewriter is None:
        try:
            rewriter = Rewriter.load(Path(path))
        except (OSError, ValueError, pickle.UnpicklingError) as error:
            # A missing or outdated file must not break requests: they pass through until a rebuild.
            logger.warning(
                "Rewriter %s of %s cannot be loaded (%s); passing requests through.", pk, dataset, error
            )
            return None
        with _lock:
            _loaded.clear()  # one rewriter per process is plenty; an old one is not used again
            _loaded[pk] = rewriter
    return rewriter
