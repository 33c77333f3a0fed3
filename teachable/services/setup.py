"""Preparing a dataset for teaching: the default catalogues, question set and resolution rules."""

from __future__ import annotations

from annotations.models import Dataset
from teachable.models import Catalogue
from teachable.services.catalogues import catalogues_load_defaults
from teachable.services.guided import question_sets_create_defaults
from teachable.services.rules import resolution_rules_set_defaults


def teachable_dataset_prepare(*, dataset: Dataset) -> None:
    """Idempotent: the catalogues load once for the site; the question set and rules are replaced."""
    if not Catalogue.objects.exists():
        catalogues_load_defaults()
    question_sets_create_defaults(dataset=dataset)
    resolution_rules_set_defaults(dataset=dataset)
