"""Reads for the model pages: each costs a fixed number of queries, however many models there are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from annotations.models import Dataset, Membership, Role
from models_app.ml.config import TrainConfig
from models_app.ml.format_adapter import number_or_none
from models_app.ml.hardware import CpuInfo, resolve_precision
from models_app.models import ModelEvaluation, ModelVersion
from models_app.recipes.defaults import RECIPE_REFERENCE_FIGURES

# The validation metrics the model list shows, in this order, when a model has them.
HEADLINE_METRICS = (
    ("intent_accuracy", "Intent accuracy"),
    ("slot_f1", "Slot F1"),
    ("failure_point_accuracy", "Failure point accuracy"),
    ("goal_boundary_f1", "Goal boundary F1"),
    ("rephrase_f1", "Rephrase F1"),
)


def model_version_list(user: User | AnonymousUser) -> QuerySet[ModelVersion]:
    """The model versions the person may see, newest first, with the person and the job that made them
    (one query). A model carries the intents and slot names of what it learned from, so it is seen only
    by those who belong to every dataset it was trained on (a superuser sees all; a model with no
    record of its datasets, made before they were recorded, by every signed-in person)."""
    if not user.is_authenticated:
        return ModelVersion.objects.none()
    models = ModelVersion.objects.select_related("created_by", "created_by_job").order_by(
        "-created_at", "-id"
    )
    if user.is_superuser:
        return models
    foreign = ModelVersion.trained_on.through.objects.filter(modelversion=OuterRef("pk")).exclude(
        dataset__in=Membership.objects.filter(user=user).values("dataset")
    )
    return models.filter(~Exists(foreign))


def model_version_get(user: User | AnonymousUser, pk: int) -> ModelVersion:
    model_version = model_version_list(user).filter(pk=pk).first()
    if model_version is None:
        raise Http404("No such model.")
    return model_version


def metric(metrics: Any, key: str) -> float | None:
    """A metric from a metrics JSON as a float, None where it is missing or not a number."""
    return number_or_none(metrics.get(key) if isinstance(metrics, dict) else None)


def headline_metrics(model_version: ModelVersion) -> list[tuple[str, float | None]]:
    """(label, value in [0, 1] or None) for each headline metric, from the metrics JSON: no query."""
    return [(label, metric(model_version.metrics, key)) for key, label in HEADLINE_METRICS]


# The held-out metrics the model page compares, in this order.
EVALUATION_METRICS = (
    ("intent_accuracy", "Intent accuracy"),
    ("slot_f1", "Slot F1"),
    ("failure_point_accuracy", "Failure point accuracy"),
    ("failure_point_macro_f1", "Failure point macro F1"),
    ("rephrase_f1", "Rephrase F1"),
    ("defect_f1", "Defect F1"),
    ("goal_boundary_f1", "Goal boundary F1"),
)


@dataclass(frozen=True)
class EvaluationRow:
    """One row of the model page's held-out table: a measured evaluation or the recipe's reference."""

    title: str
    detail: str
    values: list[float | None]
    learned_from: bool = False
    reference: bool = False


def _metric_values(metrics: Any) -> list[float | None]:
    return [metric(metrics, key) for key, _label in EVALUATION_METRICS]


def model_evaluations_latest(
    user: User | AnonymousUser, model_version: ModelVersion
) -> list[ModelEvaluation]:
    """The model's latest evaluation on each dataset the person belongs to, by dataset name (one query)."""
    if not user.is_authenticated:
        return []
    evaluations = ModelEvaluation.objects.filter(model_version=model_version).select_related("dataset")
    if not user.is_superuser:
        evaluations = evaluations.filter(
            Exists(Membership.objects.filter(dataset=OuterRef("dataset"), user=user.pk))
        )
    latest: dict[int, ModelEvaluation] = {}
    for evaluation in evaluations.order_by("dataset__name", "-created_at", "-id"):
        latest.setdefault(evaluation.dataset_id, evaluation)
    return list(latest.values())


def dataset_evaluations_latest(dataset: Dataset, *, limit: int = 200) -> list[ModelEvaluation]:
    """The latest evaluation of each model version on the dataset's gold, newest first, whoever
    recorded it (an evaluation job, the command, a recipe, the demo): what the Quality page compares.
    One query over the newest ``limit`` evaluations."""
    latest: dict[int, ModelEvaluation] = {}
    evaluations = ModelEvaluation.objects.filter(dataset=dataset).select_related("model_version")
    for evaluation in evaluations.order_by("-created_at", "-id")[:limit]:
        latest.setdefault(evaluation.model_version_id, evaluation)
    return list(latest.values())


def model_evaluation_rows(user: User | AnonymousUser, model_version: ModelVersion) -> list[EvaluationRow]:
    """The rows of the model page's held-out table: its latest evaluations the person may see, then
    the full recipe's published figures to compare with."""
    rows = [
        EvaluationRow(
            title=evaluation.dataset.name,
            detail=f"{evaluation.dialogues:,} dialogues, {evaluation.precision}",
            values=_metric_values(evaluation.metrics),
            learned_from=evaluation.learned_from,
        )
        for evaluation in model_evaluations_latest(user, model_version)
    ]
    for reference in RECIPE_REFERENCE_FIGURES:
        rows.append(
            EvaluationRow(
                title=reference["title"],
                detail=reference["detail"],
                values=_metric_values(reference["metrics"]),
                reference=True,
            )
        )
    return rows


def datasets_reviewable_by(user: User | AnonymousUser) -> QuerySet[Dataset]:
    """The datasets where the person is a reviewer or an admin (all of them for a superuser)."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    datasets = Dataset.objects.order_by("name")
    if user.is_superuser:
        return datasets
    roles = [Role.ADMIN, Role.REVIEWER]
    return datasets.filter(
        Exists(Membership.objects.filter(dataset=OuterRef("pk"), user=user, role__in=roles))
    )


# ---------------------------------------------------------------------------------------------------
# What training costs on this CPU, and what a finished training did
# ---------------------------------------------------------------------------------------------------

# Seconds one training step (a batch of 32 turns) took on one torch thread, by precision, measured by
# bench/demo_model.py on the 2-core development machine (an AMD EPYC with AVX-512 BF16). The Train form
# quotes them until this machine has trained a model of its own; from then on its own last rate.
REFERENCE_SECONDS_PER_STEP = {"bf16": 0.84, "fp32": 1.13}
# Steps of 32 turns in one epoch of the demo's training data (DEMO_TRAINING: 8,000 dialogues).
DEMO_STEPS_PER_EPOCH = 690


@dataclass(frozen=True)
class TrainingRun:
    """How a model's training went, from the history its checkpoint recorded."""

    steps: int
    total_steps: int
    minutes: float
    cut_short: bool
    max_minutes: float | None
    precision: str
    cpu: str
    bf16_in_hardware: bool | None

    @property
    def seconds_per_step(self) -> float | None:
        return self.minutes * 60 / self.steps if self.steps else None

    @property
    def text(self) -> str:
        machine = f" on {self.cpu}" if self.cpu else ""
        done = f"{self.steps:,} of {self.total_steps:,} steps in {self.minutes:.1f} min, "
        done += f"{self.precision}{machine}"
        if not self.cut_short:
            return done
        share = self.steps / self.total_steps if self.total_steps else 0.0
        cap = f"its {self.max_minutes:g}-minute cap" if self.max_minutes else "its time cap"
        return f"Cut short by {cap}: {done} ({share:.0%} of the planned training)"


def training_run(model_version: ModelVersion) -> TrainingRun | None:
    """The model's training as its history recorded it; None for a model made before histories."""
    config = model_version.config if isinstance(model_version.config, dict) else {}
    history, train = config.get("history") or {}, config.get("train") or {}
    if not isinstance(history, dict) or "steps" not in history:
        return None
    max_seconds = train.get("max_seconds") if isinstance(train, dict) else None
    return TrainingRun(
        steps=int(history.get("steps") or 0),
        total_steps=int(history.get("total_steps") or 0),
        minutes=float(history.get("seconds") or 0.0) / 60,
        cut_short=bool(history.get("stopped_at_max_seconds")),
        max_minutes=round(max_seconds / 60, 1) if isinstance(max_seconds, int | float) else None,
        precision=str(history.get("precision") or train.get("precision") or "fp32"),
        cpu=str(history.get("cpu") or ""),
        bf16_in_hardware=history.get("bf16_in_hardware"),
    )


@dataclass(frozen=True)
class PresetCost:
    """What a training preset costs on this machine's CPU, for the Train form."""

    preset: str
    precision: str
    seconds_per_step: float
    measured_here: bool
    epochs: int
    max_minutes: float | None

    def minutes_for(self, steps: int) -> float:
        minutes = steps * self.seconds_per_step / 60
        return min(minutes, self.max_minutes) if self.max_minutes else minutes

    @property
    def text(self) -> str:
        source = "this machine's last training" if self.measured_here else "the reference machine"
        per_10k = self.minutes_for(round(10_000 / 32)) if self.epochs else 0.0
        text = (
            f"{self.epochs} epoch{'s' if self.epochs != 1 else ''} in {self.precision}, about "
            f"{self.seconds_per_step:.2f} s per step of 32 turns ({source}): about {per_10k:.0f} min "
            "per 10,000 turns and epoch"
        )
        if self.preset == "demo":
            demo_minutes = self.minutes_for(DEMO_STEPS_PER_EPOCH * self.epochs)
            text += f"; the demo's 8,000 dialogues take about {demo_minutes:.0f} min"
        if self.max_minutes:
            text += f"; stops at {self.max_minutes:g} min whatever it reached"
        return text


def preset_costs(cpu: CpuInfo) -> list[PresetCost]:
    """For each training preset, its seconds per step on this CPU: the rate of the newest model
    trained on this CPU model in the same precision (its history names the CPU), else the reference."""
    measured: dict[str, float] = {}
    for config in ModelVersion.objects.order_by("-created_at").values_list("config", flat=True)[:50]:
        history = config.get("history") if isinstance(config, dict) else None
        if not isinstance(history, dict) or history.get("cpu") != cpu.model or not history.get("steps"):
            continue
        precision = str(history.get("precision") or "fp32")
        measured.setdefault(precision, float(history.get("seconds") or 0.0) / int(history["steps"]))
    costs = []
    for name in TrainConfig.PRESETS:
        config = TrainConfig.preset(name)
        precision = resolve_precision(config.precision, cpu)
        rate = measured.get(precision)
        costs.append(
            PresetCost(
                preset=name,
                precision=precision,
                seconds_per_step=rate or REFERENCE_SECONDS_PER_STEP[precision],
                measured_here=rate is not None,
                epochs=config.epochs,
                max_minutes=round(config.max_seconds / 60, 1) if config.max_seconds else None,
            )
        )
    return costs
