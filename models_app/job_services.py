"""Labelling, training and evaluation as jobs in the Celery workers (their kinds are registered in
``models_app.apps``; ``jobs`` runs them).

A labelling job is planned once into chunks of dialogues; each chunk is a task that any worker may
take. ``jobs`` claims, counts and marks each chunk done in the transaction that writes its labels, and
labels are unique per (target, kind, model version), so whatever happens (a retried chunk, a worker
killed mid-chunk and its message redelivered, a job retried after a failure) every label is written
exactly once. This module supplies the work on a chunk's dialogues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count

from annotations.models import Dataset, Dialogue, Role, Turn
from annotations.permissions import has_role
from annotations.services import dataset_stats_refresh
from jobs.models import Job
from jobs.registry import ChunkTotals, PlannedChunk
from jobs.selectors import job_find
from jobs.services import (
    JobCancelCheck,
    JobProgress,
    job_cancelled,
    job_create,
    job_enqueue_on_commit,
    job_fail,
    job_start,
    job_succeed,
)
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.hardware import AUTO, resolve_precision
from models_app.models import ModelVersion
from models_app.recipes.defaults import FollowUp, SimulatedSet
from models_app.recipes.run import simulated_dataset
from models_app.selectors import training_run
from models_app.services import (
    DEFAULT_LABEL_CHUNK_SIZE,
    Proposals,
    iter_proposals,
    model_evaluate,
    model_train,
    write_proposals,
)
from selflearn_site.exceptions import ApplicationError

logger = logging.getLogger(__name__)

# The kinds of this app's jobs (registered in models_app.apps).
LABEL_JOB = "label"
TRAIN_JOB = "train"
EVALUATE_JOB = "evaluate"

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
        kind=LABEL_JOB,
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


def label_job_plan(job: Job) -> list[PlannedChunk]:
    """The job's dialogues (all of its dataset, or ``dialogue_ids``) in chunks of ``chunk_dialogues``,
    each standing for its turns on the progress."""
    ids = job.params.get("dialogue_ids")
    dialogues = Dialogue.objects.filter(dataset=job.dataset).order_by("id")
    if ids is not None:
        dialogues = dialogues.filter(pk__in=ids)
    turn_counts = dict(
        Turn.objects.filter(dialogue__in=dialogues).values_list("dialogue_id").annotate(n=Count("id"))
    )
    ordered = list(dialogues.values_list("id", flat=True))
    size = job.params["chunk_dialogues"]
    return [
        PlannedChunk(
            items=ordered[start : start + size],
            size=sum(turn_counts.get(pk, 0) for pk in ordered[start : start + size]),
        )
        for start in range(0, len(ordered), size)
    ]


def label_job_prepare(job: Job, dialogue_ids: Sequence[int], count: Callable[[int], None]) -> Proposals:
    """Predict a chunk's labels (outside any transaction), a few dialogues at a time, counting their
    turns as each few are decoded, so the bar moves within a chunk; the next few are encoded
    meanwhile (``iter_proposals``)."""
    model_version = ModelVersion.objects.get(pk=job.params["model_version_id"])
    parts: list[Proposals] = []
    few = [
        dialogue_ids[start : start + PROGRESS_DIALOGUES]
        for start in range(0, len(dialogue_ids), PROGRESS_DIALOGUES)
    ]
    for part in iter_proposals(
        model_version=model_version, id_parts=few, precision=job.params["precision"], job=job
    ):
        parts.append(part)
        count(part.turns)
    return Proposals(
        model_version=model_version,
        dialogue_ids=dialogue_ids,
        labels=[row for part in parts for row in part.labels],
        dialogues=sum(part.dialogues for part in parts),
        turns=sum(part.turns for part in parts),
    )


def label_job_write(job: Job, proposals: Proposals) -> int:
    """Inside the chunk's transaction: the labels not there yet; returns how many were written."""
    return write_proposals(proposals).labels_written


def label_job_result(job: Job, totals: ChunkTotals) -> dict[str, Any]:
    return {
        "chunks": totals.chunks,
        "turns_labelled": totals.units,
        "labels_written": totals.written,
        "seconds_in_chunks": round(totals.seconds, 3),
        # What "auto" became on the workers' CPU (the one that ends the job speaks for them).
        "precision": resolve_precision(job.params.get("precision") or AUTO),
    }


def label_job_finished(job: Job) -> None:
    if job.dataset_id is not None:
        # The dataset's kept counts (the datasets list, the overview) now include the proposals.
        dataset_stats_refresh(dataset_id=job.dataset_id)
    # The job that waited for this labelling to end (a follow-up model's training), whatever its end.
    # Read again: the training job that names it may have done so while this job was ending.
    then_enqueue = Job.objects.values_list("params", flat=True).get(pk=job.pk).get("then_enqueue")
    waiting = Job.objects.filter(pk=then_enqueue, status=Job.Status.PENDING).first()
    if waiting is not None:
        job_enqueue_on_commit(job=waiting)


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
    enqueue: bool = True,
) -> Job:
    """File a training job under ``dataset`` (the first of ``datasets`` when not given).
    ``label_after``: datasets that a labelling job with the new model starts on when training succeeds
    (the demo: the model trains as a visible job, then labels the demo dataset); ``evaluate_after``:
    datasets whose gold an evaluation job then measures it against (the model page shows them);
    ``simulate``: datasets (by name, among those read) that the job fills with simulated dialogues
    before it trains when they are still empty (the demo: ``make run`` serves at once while the worker
    simulates the demo model's training data); ``follow_up``: a second model that the same data
    trains once this one has succeeded and its first labelling job has ended (the demo: a quick model
    labels the demo within minutes, then the full one replaces its proposals, since the newest
    model's proposal is the one under review); ``enqueue=False`` files it waiting for that.
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
        kind=TRAIN_JOB,
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
        enqueue=enqueue,
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
        simulated_dataset(
            name, spec["dialogues"], users=spec["users"], seed=spec["seed"], profile=spec.get("profile")
        )
    # A run again after a failure (a retry) keeps what the last run finished: the model it registered,
    # the jobs it started.
    model_version = ModelVersion.objects.filter(name=params["name"], created_by_job=job).first()
    if model_version is None:
        progress = JobProgress(job)
        cancel = JobCancelCheck(job, interval=2.0)
        try:
            model_version = model_train(
                name=params["name"],
                datasets=_datasets(params["datasets"]),
                valid_datasets=_datasets(params["valid_datasets"]),
                unlabelled_datasets=_datasets(params.get("unlabelled_datasets", [])),
                train_config=config,
                model_config=ModelConfig.for_preset(params["preset"]),
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
    # One transaction: the jobs below reach the workers when it commits, so the first labelling job
    # cannot end before it names the follow-up that waits for it.
    with transaction.atomic():
        labelling = [
            _follow_up(LABEL_JOB, labelled, model_version, job, label_job_create)
            for labelled in _datasets(params.get("label_after") or [])
        ]
        evaluating = [
            _follow_up(EVALUATE_JOB, evaluated, model_version, job, evaluate_job_create)
            for evaluated in _datasets(params.get("evaluate_after") or [])
        ]
        follow_up = None
        if params.get("follow_up"):
            follow_up = _train_follow_up(job, FollowUp(**params["follow_up"]), labelling=labelling)
    result: dict[str, Any] = {"model": model_version.name, "metrics": model_version.metrics}
    run = training_run(model_version)
    if run is not None:
        result["training"] = run.text
        result["cut_short"] = run.cut_short
    if labelling:
        result["labelling_jobs"] = labelling
    if evaluating:
        result["evaluation_jobs"] = evaluating
    if follow_up is not None:
        result["follow_up_job"] = follow_up.pk
    return job_succeed(job=job, result=result)


def _follow_up(
    kind: str,
    dataset: Dataset,
    model_version: ModelVersion,
    training: Job,
    create: Callable[..., Job],
) -> int:
    """The job of ``kind`` with the new model on ``dataset`` that the training job starts: the one a
    run before this one started, or a new one."""
    started = job_find(kind=kind, dataset_id=dataset.pk, params={"model_version_id": model_version.pk})
    if started is not None:
        return started.pk
    return create(dataset=dataset, model_version=model_version, user=training.created_by).pk


def _train_follow_up(job: Job, follow_up: FollowUp, *, labelling: Sequence[int]) -> Job:
    """The follow-up training job of ``job``: the same data and the same labelling and evaluation
    after it, under the follow-up's name and preset (made once: a rerun of ``job`` finds it). It goes
    to the workers when the first of ``labelling`` ends: sent at once, its long training would hold a
    worker while that labelling's chunks, queued as the labelling starts, waited behind it."""
    params = job.params
    waiting = job_find(kind=TRAIN_JOB, dataset_id=job.dataset_id, params={"name": follow_up.name})
    if waiting is None:
        waiting = train_job_create(
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
            enqueue=not labelling,
        )
    if labelling:
        # Locked: a labelling job that ends meanwhile reads the name after this commits, or has ended.
        first = Job.objects.select_for_update().get(pk=labelling[0])
        first.params["then_enqueue"] = waiting.pk
        Job.objects.filter(pk=first.pk).update(params=first.params)
        if first.is_finished and waiting.status == Job.Status.PENDING:
            job_enqueue_on_commit(job=waiting)  # a rerun, after that labelling had ended
    return waiting


def evaluate_job_create(*, dataset: Dataset, model_version: ModelVersion, user: User | None) -> Job:
    return job_create(
        kind=EVALUATE_JOB,
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
