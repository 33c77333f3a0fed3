"""Reads of model versions: which a person may see, their validation metrics, and the datasets a
person may evaluate them on."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from annotations.models import Dataset, Membership, Role
from models_app.ml.format_adapter import number_or_none
from models_app.models import ModelVersion

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
