"""The kinds of job this app runs (labelling, training, evaluation), as it tells ``jobs`` about them:
registered by ``ModelsAppConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from annotations.models import Role
from jobs.models import Job
from jobs.registry import ChunkWork, JobKind, job_kind_register
from models_app.job_services import (
    EVALUATE_JOB,
    LABEL_JOB,
    TRAIN_JOB,
    evaluate_job_run,
    label_job_finished,
    label_job_plan,
    label_job_prepare,
    label_job_result,
    label_job_write,
    train_job_run,
)


def _model_row(job: Job) -> list[tuple[str, str, str]]:
    name, pk = job.params.get("model"), job.params.get("model_version_id")
    if not name:
        return []
    return [("Model", str(name), reverse("models_app:model-detail", args=[pk]) if pk else "")]


def _label_details(job: Job) -> list[tuple[str, str, str]]:
    rows = _model_row(job)
    rows.append(("Precision", str(job.params.get("precision", "fp32")), ""))
    rows.append(("Dialogues per chunk", f"{job.params.get('chunk_dialogues', 0):,}", ""))
    return rows


def _train_details(job: Job) -> list[tuple[str, str, str]]:
    params = job.params
    epochs = params.get("epochs")
    preset = str(params.get("preset", "default")) + (
        f", {epochs} epoch{'s' if epochs != 1 else ''}" if epochs else ""
    )
    rows = [
        ("Model name", str(params.get("name", "")), ""),
        ("Trained on", ", ".join(params.get("datasets") or []), ""),
        ("Preset", preset, ""),
    ]
    if params.get("label_after"):
        rows.append(("Labels after", ", ".join(params["label_after"]), ""))
    if params.get("evaluate_after"):
        rows.append(("Evaluates after", ", ".join(params["evaluate_after"]), ""))
    return rows


def _train_notice(job: Job) -> str:
    after = job.params.get("label_after")
    then = f" and will label {', '.join(after)} when it ends" if after else ""
    return f"A model is training for this dataset{then}: until then there are no model labels to review."


def _label_summary(result: dict[str, Any]) -> str:
    return f"{result.get('labels_written', 0):,} labels written on {result.get('turns_labelled', 0):,} turns"


def _evaluate_summary(result: dict[str, Any]) -> str:
    return f"{result.get('model', 'The model')} evaluated on {result.get('dialogues', 0):,} dialogues"


LABEL = JobKind(
    kind=LABEL_JOB,
    label="Labelling",
    chunks=ChunkWork(
        plan=label_job_plan,
        prepare=label_job_prepare,
        write=label_job_write,
        result=label_job_result,
        phase="labelling",
        finished=label_job_finished,
    ),
    start_role=Role.REVIEWER.value,
    rate_unit="turns",
    result_names={
        "turns_labelled": "Turns labelled",
        "labels_written": "Labels written",
        "seconds_in_chunks": "Time spent labelling",
        "precision": "Precision",
    },
    summary=_label_summary,
    notice=lambda job: "A model is labelling this dataset: its proposals appear as each part is written.",
    details=_label_details,
)

TRAIN = JobKind(
    kind=TRAIN_JOB,
    label="Training",
    run=train_job_run,
    start_role=Role.ADMIN.value,
    rate_unit="steps",
    result_names={
        "model": "Model registered",
        "metrics": "Validation metrics",
        "labelling_jobs": "Labelling jobs started",
        "evaluation_jobs": "Evaluation jobs started",
        "training": "Training",
        "cut_short": "Cut short by its time cap",
        "follow_up_job": "Follow-up training job",
    },
    summary=lambda result: f"Model {result.get('model', '')} registered",
    notice=_train_notice,
    details=_train_details,
)

EVALUATE = JobKind(
    kind=EVALUATE_JOB,
    label="Evaluation",
    run=evaluate_job_run,
    start_role=Role.REVIEWER.value,
    rate_unit="dialogues",
    result_names={"model": "Model", "dataset": "Dataset", "dialogues": "Dialogues evaluated"},
    summary=_evaluate_summary,
    notice=lambda job: f"Model {job.params.get('model', '')} is being measured against this dataset's gold.",
    details=_model_row,
)


def register() -> None:
    for kind in (LABEL, TRAIN, EVALUATE):
        job_kind_register(kind)
