"""Shared argument handling for the model commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from annotations.models import Dataset
from models_app.models import ModelVersion


def dataset_named(name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        raise CommandError(f"No dataset named {name!r}.")
    return dataset


def model_named(name: str) -> ModelVersion:
    model_version = ModelVersion.objects.filter(name=name).first()
    if model_version is None:
        raise CommandError(f"No model named {name!r}.")
    return model_version
