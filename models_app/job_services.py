"""Labelling, training and evaluation as jobs in the Celery workers.

A labelling job is planned once into chunks (JobChunk rows); each chunk is a task that any worker may
take. A chunk's labels and its "done" mark are committed together, and labels are unique per (target,
kind, model version), so whatever happens (a retried chunk, a worker killed mid-chunk and its message
redelivered, a resumed job) every label is written exactly once and the progress counts each chunk once.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from annotations.models import Dataset, Dialogue, Role, Turn
from annotations.permissions import has_role
from annotations.services import dataset_stats_refresh
from jobs.models import Job, JobChunk
from jobs.services import (
    JobCancelCheck,
    JobProgress,
    job_cancelled,
    job_chunk_claim,
    job_chunks_enqueue_on_commit,
    job_create,
    job_enqueue_on_commit,
    job_fail,
    job_finish_if_running,
    job_heartbeat,
    job_start,
    job_succeed,
)
from models_app.ml.config import TrainConfig
from models_app.ml.hardware import AUTO, resolve_precision
from models_app.models import ModelVersion
from models_app.recipes.defaults import FollowUp, SimulatedSet
from models_app.recipes.run import simulated_dataset
from models_app.selectors import training_run
from models_app.services import (
    DEFAULT_LABEL_CHUNK_SIZE,
    Proposals,
    model_evaluate,
    model_train,
    propose_labels,
    write_proposals,
)
from selflearn_site.exceptions import ApplicationError

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_DIALOGUES = DEFAULT_LABEL_CHUNK_SIZE
# A chunk predicts this many dialogues at a time and counts them on the job's progress in between:
# about five seconds of CPU on the demo model, so the bar moves while a 256-dialogue chunk runs.
PROGRESS_DIALOGUES = 32
TRAIN_PRESETS = TrainConfig.PRESETS


# ---------------------------------------------------------------------------------------------------
# Labelling
# ---------------------------------------------------------------------------------------------------


def label_job_create(
    *,
    dataset: Dataset,
    model_version: ModelVersion,
    user: User | None,
    precision: str = AUTO,
    chunk_dialogues: int = DEFAULT_CHUNK_DIALOGUES,
    dialogue_ids: Sequence[int] | None = None,
) -> Job:
    """Start labelling the dataset (or only ``dialogue_ids`` of it) with the model, in the workers."""

    if chunk_dialogues < 1:
        raise ApplicationError("chunk_dialogues must be at least 1.", extra={"field": "chunk_dialogues"})
    return job_create(
        kind=Job.Kind.LABEL,
        dataset=dataset,
        user=user,
        params={
            "model": model_version.name,
            "model_version_id": model_version.pk,
            "precision": precision,
            "chunk_dialogues": chunk_dialogues,
            "dialogue_ids": list(dialogue_ids) if dialogue_ids is not None else None,
        },
    )


def label_job_plan(*, job: Job) -> list[int]:
    """Split the job into chunks (once: a redelivered plan finds them made) and return the indices of
    the chunks still to do, for the caller to enqueue."""
    with transaction.atomic():
        if not JobChunk.objects.filter(job=job).exists():
            ids = job.params.get("dialogue_ids")
            dialogues = Dialogue.objects.filter(dataset=job.dataset).order_by("id")
            if ids is not None:
                dialogues = dialogues.filter(pk__in=ids)
            turn_counts = dict(
                Turn.objects.filter(dialogue__in=dialogues).values_list("dialogue_id").annotate(n=Count("id"))
            )
            ordered = list(dialogues.values_list("id", flat=True))
            size = job.params["chunk_dialogues"]
            JobChunk.objects.bulk_create(
                JobChunk(
                    job=job,
                    index=index,
                    items=ordered[start : start + size],
                    size=sum(turn_counts.get(pk, 0) for pk in ordered[start : start + size]),
                )
                for index, start in enumerate(range(0, len(ordered), size))
            )
            total = sum(turn_counts.values())
            Job.objects.filter(pk=job.pk).update(progress_total=total, progress_done=0)
        job_start(job=job, phase="labelling")
    pending = list(
        JobChunk.objects.filter(job=job, status=JobChunk.Status.PENDING).values_list("index", flat=True)
    )
    if not pending:
        label_job_finish_if_complete(job=job)
    return pending


def label_job_run_chunk(*, job: Job, index: int) -> None:
    """Label one chunk, unless it is done already or the job was cancelled."""
    chunk = JobChunk.objects.get(job=job, index=index)
    if chunk.status != JobChunk.Status.PENDING:
        return
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        JobChunk.objects.filter(pk=chunk.pk, status=JobChunk.Status.PENDING).update(
            status=JobChunk.Status.CANCELLED, finished_at=timezone.now()
        )
        label_job_finish_if_complete(job=job)
        return
    if not job_chunk_claim(job=job, chunk_pk=chunk.pk):
        return  # another worker holds it; if that worker is lost, the reaper sends the chunk out again
    with transaction.atomic():
        # A redone chunk starts over: it takes back what an attempt that died had counted.
        counted_before = JobChunk.objects.select_for_update().get(pk=chunk.pk).progress
        JobChunk.objects.filter(pk=chunk.pk).update(progress=0)
        if counted_before:
            Job.objects.filter(pk=job.pk).update(progress_done=F("progress_done") - counted_before)
    started = time.monotonic()
    model_version = ModelVersion.objects.get(pk=job.params["model_version_id"])
    parts: list[Proposals] = []
    counted = 0
    try:
        with job_heartbeat(job, chunk_pk=chunk.pk):
            for start in range(0, len(chunk.items), PROGRESS_DIALOGUES):
                part = propose_labels(
                    model_version=model_version,
                    dialogue_ids=chunk.items[start : start + PROGRESS_DIALOGUES],
                    precision=job.params["precision"],
                    job=job,
                )
                parts.append(part)
                # Progress moves within the chunk, not once per chunk (the bar sat at 0% for a whole
                # chunk).
                with transaction.atomic():
                    JobChunk.objects.filter(pk=chunk.pk).update(progress=F("progress") + part.turns)
                    Job.objects.filter(pk=job.pk).update(
                        progress_done=F("progress_done") + part.turns, updated_at=timezone.now()
                    )
                counted += part.turns
    except BaseException:
        # This attempt is over: its claim goes with it, so a retry need not wait for the lease to run
        # out (a killed process cannot do this; the reaper frees its chunk when the lease expires).
        JobChunk.objects.filter(pk=chunk.pk, status=JobChunk.Status.PENDING).update(lease_expires_at=None)
        raise
    proposals = Proposals(
        model_version=model_version,
        dialogue_ids=chunk.items,
        labels=[row for part in parts for row in part.labels],
        dialogues=sum(part.dialogues for part in parts),
        turns=counted,
    )
    with transaction.atomic():
        report = write_proposals(proposals)
        marked = JobChunk.objects.filter(pk=chunk.pk, status=JobChunk.Status.PENDING).update(
            status=JobChunk.Status.DONE,
            seconds=time.monotonic() - started,
            finished_at=timezone.now(),
            written=report.labels_written,
        )
        if marked:
            # The chunk counts its planned size once; what this attempt already counted is part of it.
            Job.objects.filter(pk=job.pk).update(
                progress_done=F("progress_done") + chunk.size - counted,
                updated_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
    logger.info("job %s chunk %s: %s labels written", job.pk, index, report.labels_written)
    label_job_finish_if_complete(job=job)


def label_job_chunk_failed(*, job: Job, index: int, error: BaseException) -> None:
    """Record a chunk that failed for good; the job fails with its error, finished chunks are kept."""
    message = "".join(traceback.format_exception_only(type(error), error)).strip()
    JobChunk.objects.filter(job=job, index=index, status=JobChunk.Status.PENDING).update(
        status=JobChunk.Status.FAILED, error=message, finished_at=timezone.now()
    )
    label_job_finish_if_complete(job=job)


def label_job_finish_if_complete(*, job: Job) -> None:
    """Once no chunk is pending, end the job: failed if a chunk failed, cancelled if any was, else
    succeeded. Safe to call from every chunk: only one call changes the job's status."""
    counts = dict(JobChunk.objects.filter(job=job).values_list("status").annotate(n=Count("id")))
    if counts.get(JobChunk.Status.PENDING):
        return
    job.refresh_from_db()
    if job.is_finished:
        return
    done = JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE)
    totals = done.aggregate(turns=Sum("size"), labels=Sum("written"), seconds=Sum("seconds"))
    result = {
        "chunks": counts,
        "turns_labelled": totals["turns"] or 0,
        "labels_written": totals["labels"] or 0,
        "seconds_in_chunks": round(totals["seconds"] or 0.0, 3),
        # What "auto" became on the workers' CPU (the one that ends the job speaks for them).
        "precision": resolve_precision(job.params.get("precision") or AUTO),
    }
    failed = JobChunk.objects.filter(job=job, status=JobChunk.Status.FAILED).first()
    if failed is not None:
        status, error = Job.Status.FAILED, f"Chunk {failed.index} failed: {failed.error}"
    elif counts.get(JobChunk.Status.CANCELLED):
        status, error = Job.Status.CANCELLED, ""
    else:
        status, error = Job.Status.SUCCEEDED, ""
    # Only one of the chunks that may get here at once ends the job.
    job_finish_if_running(job=job, status=status, error=error, result=result)
    if job.dataset_id is not None:
        # The dataset's kept counts (the datasets list, the overview) now include the proposals.
        dataset_stats_refresh(dataset_id=job.dataset_id)


@transaction.atomic
def label_job_resume(*, job: Job) -> list[int]:
    """Run a failed or cancelled labelling job again: its unfinished chunks only, enqueued on commit.
    A job cancelled before it was planned is planned now. Returns the chunks to do."""

    ended = (Job.Status.FAILED, Job.Status.CANCELLED)
    # One conditional UPDATE: of two resumes at once, one runs the chunks.
    resumed = Job.objects.filter(pk=job.pk, kind=Job.Kind.LABEL, status__in=ended).update(
        status=Job.Status.RUNNING,
        cancel_requested=False,
        error="",
        finished_at=None,
        updated_at=timezone.now(),
    )
    if not resumed:
        raise ApplicationError("Only a failed or cancelled labelling job can be resumed.")
    JobChunk.objects.filter(job=job).exclude(status=JobChunk.Status.DONE).update(
        status=JobChunk.Status.PENDING, error=""
    )
    job.refresh_from_db()
    pending = list(
        JobChunk.objects.filter(job=job, status=JobChunk.Status.PENDING).values_list("index", flat=True)
    )
    if pending:
        job_chunks_enqueue_on_commit(job=job, indices=pending)
    else:
        # Planning ends a job that has nothing left to do.
        job_enqueue_on_commit(job=job)
    return pending


# ---------------------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------------------


def train_job_create(
    *,
    name: str,
    dataset: Dataset | None = None,
    datasets: Sequence[Dataset],
    valid_datasets: Sequence[Dataset] = (),
    unlabelled_datasets: Sequence[Dataset] = (),
    user: User | None,
    preset: str = "default",
    epochs: int | None = None,
    self_training_epochs: int | None = None,
    label_after: Sequence[Dataset] = (),
    evaluate_after: Sequence[Dataset] = (),
    simulate: dict[str, SimulatedSet] | None = None,
    follow_up: FollowUp | None = None,
) -> Job:
    """File a training job under ``dataset`` (the first of ``datasets`` when not given).
    ``label_after``: datasets that a labelling job with the new model starts on when training succeeds
    (the demo: the model trains as a visible job, then labels the demo dataset); ``evaluate_after``:
    datasets whose gold an evaluation job then measures it against (the model page shows them);
    ``simulate``: datasets (by name, among those read) that the job fills with simulated dialogues
    before it trains when they are still empty (the demo: ``make run`` serves at once while the worker
    simulates the demo model's training data); ``follow_up``: a second model that the same data
    trains once this one has succeeded and its labelling and evaluation jobs are queued (the demo: a
    quick model labels the demo within minutes, then the full one replaces its proposals, since the
    newest model's proposal is the one under review).
    ``unlabelled_datasets`` are read without their labels for self-training: ``self_training_epochs``
    more epochs (1 when unset) on the gold plus the model's confident labels of them.

    A person (``user``; None is the command line) must be an admin of the dataset the job is filed
    under and at least a reviewer of every dataset it reads: otherwise ``PermissionDenied``.
    """

    if not datasets:
        raise ApplicationError("Name at least one dataset to train on.", extra={"field": "datasets"})
    dataset = dataset if dataset is not None else datasets[0]
    reads = list(dict.fromkeys([*datasets, *valid_datasets, *unlabelled_datasets]))
    if user is not None:
        _require_role(user, dataset, Role.ADMIN)
        for read in reads:
            _require_role(user, read, Role.REVIEWER)
        for labelled in [*label_after, *evaluate_after]:
            _require_role(user, labelled, Role.REVIEWER)
    if preset not in TRAIN_PRESETS:
        raise ApplicationError(f"preset must be one of {', '.join(TRAIN_PRESETS)}", extra={"field": "preset"})
    names = [name, follow_up.name] if follow_up is not None else [name]
    if follow_up is not None and (follow_up.name == name or follow_up.preset not in TRAIN_PRESETS):
        raise ApplicationError(
            "A follow-up model needs a name of its own and a known preset.", extra={"field": "follow_up"}
        )
    taken = ModelVersion.objects.filter(name__in=names).values_list("name", flat=True).first()
    if taken is not None:
        raise ApplicationError(f"A model named {taken!r} already exists.", extra={"field": "name"})
    unread = sorted(set(simulate or {}) - {read.name for read in reads})
    if unread:
        raise ApplicationError(
            f"Only datasets the job reads can be simulated into: {', '.join(unread)}.",
            extra={"field": "simulate"},
        )
    return job_create(
        kind=Job.Kind.TRAIN,
        dataset=dataset,
        reads=reads,
        user=user,
        params={
            "name": name,
            "datasets": [dataset.name for dataset in datasets],
            "valid_datasets": [dataset.name for dataset in valid_datasets],
            "unlabelled_datasets": [dataset.name for dataset in unlabelled_datasets],
            "preset": preset,
            "epochs": epochs,
            "self_training_epochs": (self_training_epochs or 1) if unlabelled_datasets else 0,
            "label_after": [labelled.name for labelled in label_after],
            "evaluate_after": [evaluated.name for evaluated in evaluate_after],
            "simulate": {name: asdict(spec) for name, spec in (simulate or {}).items()},
            "follow_up": asdict(follow_up) if follow_up is not None else None,
        },
    )


def train_job_run(*, job: Job) -> Job:
    from models_app.ml.train import TrainingCancelled

    params = job.params
    config = TrainConfig.preset(params["preset"])
    if params.get("epochs"):
        config.epochs = params["epochs"]
    # Jobs filed before self-training existed have neither key.
    config.self_training_epochs = params.get("self_training_epochs") or 0
    job_start(job=job, phase="preparing")
    for name, spec in (params.get("simulate") or {}).items():
        # Once: a rerun after a lost worker finds the dataset filled (the import is one transaction).
        job.phase = f"simulating {spec['dialogues']:,} dialogues into {name}"
        job.save(update_fields=["phase"])
        simulated_dataset(name, spec["dialogues"], users=spec["users"], seed=spec["seed"])
    progress = JobProgress(job)
    cancel = JobCancelCheck(job, interval=2.0)
    try:
        model_version = model_train(
            name=params["name"],
            datasets=_datasets(params["datasets"]),
            valid_datasets=_datasets(params["valid_datasets"]),
            unlabelled_datasets=_datasets(params.get("unlabelled_datasets", [])),
            train_config=config,
            progress=lambda stage, done, total, info: progress(stage, done, total),
            should_stop=cancel,
            user=job.created_by,
            job=job,
        )
    except TrainingCancelled:
        return job_cancelled(job=job)
    except ApplicationError as error:
        return job_fail(job=job, error=error.message)
    finally:
        progress.close()
    labelling = [
        label_job_create(dataset=labelled, model_version=model_version, user=job.created_by).pk
        for labelled in _datasets(params.get("label_after") or [])
    ]
    evaluating = [
        evaluate_job_create(dataset=evaluated, model_version=model_version, user=job.created_by).pk
        for evaluated in _datasets(params.get("evaluate_after") or [])
    ]
    result: dict[str, Any] = {"model": model_version.name, "metrics": model_version.metrics}
    run = training_run(model_version)
    if run is not None:
        result["training"] = run.text
        result["cut_short"] = run.cut_short
    if labelling:
        result["labelling_jobs"] = labelling
    if evaluating:
        result["evaluation_jobs"] = evaluating
    if params.get("follow_up"):
        # Queued after the labelling and evaluation above: a worker takes them first.
        result["follow_up_job"] = _train_follow_up(job, FollowUp(**params["follow_up"])).pk
    return job_succeed(job=job, result=result)


def _train_follow_up(job: Job, follow_up: FollowUp) -> Job:
    """The follow-up training job of ``job``: the same data and the same labelling and evaluation
    after it, under the follow-up's name and preset (made once: a rerun of ``job`` finds it)."""
    params = job.params
    existing = Job.objects.filter(
        kind=Job.Kind.TRAIN, dataset=job.dataset, params__name=follow_up.name
    ).first()
    if existing is not None:
        return existing
    return train_job_create(
        name=follow_up.name,
        dataset=job.dataset,
        datasets=_datasets(params["datasets"]),
        valid_datasets=_datasets(params["valid_datasets"]),
        unlabelled_datasets=_datasets(params.get("unlabelled_datasets", [])),
        user=job.created_by,
        preset=follow_up.preset,
        epochs=follow_up.epochs,
        label_after=_datasets(params.get("label_after") or []),
        evaluate_after=_datasets(params.get("evaluate_after") or []),
    )


def evaluate_job_create(*, dataset: Dataset, model_version: ModelVersion, user: User | None) -> Job:

    return job_create(
        kind=Job.Kind.EVALUATE,
        dataset=dataset,
        user=user,
        params={"model": model_version.name, "model_version_id": model_version.pk},
    )


def evaluate_job_run(*, job: Job) -> Job:
    dataset = job.dataset
    assert dataset is not None  # an evaluation job is always filed under its dataset
    job_start(job=job, phase="evaluating")
    model_version = ModelVersion.objects.get(pk=job.params["model_version_id"])
    try:
        metrics = model_evaluate(dataset=dataset, model_version=model_version, job=job)
    except ApplicationError as error:
        return job_fail(job=job, error=error.message)
    return job_succeed(job=job, result=metrics)


def _require_role(user: User, dataset: Dataset, minimum: Role) -> None:
    if not has_role(user, dataset, minimum):
        raise PermissionDenied(
            f"Training needs the {minimum.label.lower()} role or above on {dataset.name!r}."
        )


def _datasets(names: Sequence[str]) -> list[Dataset]:
    found = {dataset.name: dataset for dataset in Dataset.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise ApplicationError(f"No dataset named {missing[0]!r}.", extra={"field": "datasets"})
    return [found[name] for name in names]


def job_chunk_counts(job: Job) -> dict[str, Any]:
    return dict(JobChunk.objects.filter(job=job).values_list("status").annotate(n=Count("id")))
