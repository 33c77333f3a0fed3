"""Writes to a dataset itself, beside ``services.dataset_create``: change its description or the
number of reviews its dialogues need, and delete it with everything in it."""

from __future__ import annotations

from django.db import transaction

from annotations.adjudication_services import dataset_required_reviews_set
from annotations.models import Dataset


@transaction.atomic
def dataset_update(
    *, dataset: Dataset, description: str | None = None, required_reviews: int | None = None
) -> Dataset:
    """Change what is given; the name stays (job parameters and URLs refer to it).

    A new number of reviews goes through the review rules' own service, as on the review settings
    page: labels that now have all their verdicts are settled and the queue is recomputed. It comes
    first, so that a refused number leaves the description unchanged too."""
    # The same number changes nothing, and recomputing a large dataset's queue for it would be waste.
    if required_reviews is not None and required_reviews != dataset.required_reviews:
        dataset_required_reviews_set(dataset=dataset, required_reviews=required_reviews)
    if description is not None:
        dataset.description = description
        dataset.full_clean()
        dataset.save(update_fields=["description"])
    return dataset


@transaction.atomic
def dataset_delete(*, dataset: Dataset) -> None:
    """Delete the dataset with its dialogues, turns, labels, review history, rules, members and jobs,
    all or nothing."""
    dataset.delete()
