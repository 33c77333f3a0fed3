"""A dataset admin's part in corroboration: settling a label whose independent reviews disagree, and
how many independent reviews each label of the dataset needs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count

from annotations.models import MAX_REQUIRED_REVIEWS, Dataset, Label, LabelKind, LabelStatus, ReviewEvent
from review.models import Adjudication
from review.rules import OPEN_STATUSES, same_value, validate_value
from review.services.changes import ReviewChanges, locked, snapshot, turn_infos
from review.services.decisions import goal_success_follows, resolve_verdicts
from review.services.state import review_state_refresh, review_state_refresh_dataset
from selflearn_site.exceptions import ApplicationError


@transaction.atomic
def adjudication_decide(*, adjudication: Adjudication, admin: User, verdict: str, value: Any = None) -> Label:
    """A dataset admin settles a label whose reviews disagreed: gold with ``value``
    (``verdict="gold"``) or rejected (``verdict="reject"``)."""
    if verdict not in ("gold", "reject"):
        raise ApplicationError("verdict must be gold or reject.", extra={"field": "verdict"})
    if adjudication.resolved_at is not None:
        raise ApplicationError(
            "This adjudication is already decided.", extra={"field": "adjudication"}, status=409
        )
    label = locked(Label.objects.filter(pk=adjudication.label_id)).select_related("dialogue__dataset").get()
    dialogue = label.dialogue
    if verdict == "gold":
        turns = turn_infos(dialogue)
        validate_value(label.kind, value, turn=turns.get(label.turn_id), turns=list(turns.values()))
    changes = ReviewChanges(reviewer=admin, dialogue=dialogue)
    before = snapshot(label)
    if verdict == "gold":
        old_value = label.value
        label.status, label.value = LabelStatus.GOLD, value
    else:
        old_value, label.status = label.value, LabelStatus.REJECTED
    changes.change(label)
    changes.event(ReviewEvent.Action.ADJUDICATE, label, before, snapshot(label))
    if label.kind == LabelKind.GOAL_SEGMENTS and not same_value(label.kind, old_value, label.value):
        goal_success_follows(
            changes, old_value, label.value, turn_infos(dialogue), dialogue.dataset.required_reviews
        )
    changes.flush()
    adjudication.resolved_at, adjudication.resolved_by = changes.now, admin
    adjudication.save(update_fields=["resolved_at", "resolved_by"])
    review_state_refresh(dialogue_ids=[dialogue.pk])
    return label


@transaction.atomic
def dataset_required_reviews_set(*, dataset: Dataset, required_reviews: int) -> Dataset:
    """How many independent reviews each label of the dataset needs (1, or 3 for a gold set).

    Labels that now have all their verdicts are settled at once (gold or adjudication), and every
    dialogue's place in the queue is recomputed."""

    if not isinstance(required_reviews, int) or not 1 <= required_reviews <= MAX_REQUIRED_REVIEWS:
        raise ApplicationError(
            f"required_reviews must be a whole number from 1 to {MAX_REQUIRED_REVIEWS}.",
            extra={"field": "required_reviews"},
        )
    dataset.required_reviews = required_reviews
    dataset.save(update_fields=["required_reviews"])
    if required_reviews > 1:
        full = (
            Label.objects.filter(
                dialogue__dataset=dataset, status__in=OPEN_STATUSES, adjudication__isnull=True
            )
            .annotate(n=Count("reviews"))
            .filter(n__gte=required_reviews)
            .select_related("dialogue")
            .prefetch_related("reviews")
        )
        for label in full:
            changes = ReviewChanges(reviewer=None, dialogue=label.dialogue)
            resolve_verdicts(changes, label, list(label.reviews.all()))
            changes.flush()
    review_state_refresh_dataset(dataset_id=dataset.pk)
    return dataset
