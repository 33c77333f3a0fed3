"""Reads of a dataset's labels for the API: filtered, with what a row shows of its dialogue, turn,
model and author joined in one query."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, QuerySet

from annotations.label_filters import LabelFilter, labels_changed_since_q
from annotations.models import Dataset, Label


def label_list(
    dataset: Dataset, *, label_filter: LabelFilter | None = None, changed_since: datetime | None = None
) -> QuerySet[Label]:
    """The dataset's labels that pass the filter (and changed at or after ``changed_since``), by id,
    each with ``dialogue_external_id``, ``turn_external_id``, ``model_name`` and ``author_username``."""
    labels = Label.objects.filter(dialogue__dataset=dataset)
    if label_filter is not None:
        labels = labels.filter(label_filter.q())
    if changed_since is not None:
        labels = labels.filter(labels_changed_since_q(changed_since))
    return labels.annotate(
        dialogue_external_id=F("dialogue__external_id"),
        turn_external_id=F("turn__external_id"),
        model_name=F("model_version__name"),
        author_username=F("author__username"),
    ).order_by("id")
