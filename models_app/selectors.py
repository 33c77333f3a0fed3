"""Reads for the model pages: each costs a fixed number of queries, however many models there are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from annotations.models import Dataset, Membership, Role
from models_app.ml.format_adapter import number_or_none
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
