"""The review queue: "the next dialogue for me" in a dataset, by a chosen policy, held for me a while.

Each policy reads DialogueReviewState down one composite index in its own order and takes the first
dialogue that is open, not held by someone else, and not already done or skipped by me, so asking
costs the same with a hundred dialogues or a hundred thousand.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotations.models import Dataset
from review.models import DialogueReview, DialogueReviewState
from review.services.locks import free_or_held_by, review_lock_claim, review_lock_release

# How many candidates to try when others claim the first ones at the same moment.
_CANDIDATES = 5


class QueuePolicy(models.TextChoices):
    LEAST_CONFIDENT = "least_confident", "Least confident first (active learning)"
    DISAGREEMENT = "disagreement", "Most disagreement between model and reviewers first"
    RANDOM = "random", "Random sample (measures precision honestly)"


# Each order is exactly one of DialogueReviewState's queue indexes, after (dataset, is_open).
_ORDER = {
    QueuePolicy.LEAST_CONFIDENT: ("min_confidence", "dialogue_id"),
    QueuePolicy.DISAGREEMENT: ("-disagreement", "min_confidence", "dialogue_id"),
    QueuePolicy.RANDOM: ("random_key",),
}


def review_next(*, dataset: Dataset, reviewer: User, policy: str) -> int | None:
    """Hold the next dialogue for the reviewer and return its id (None when nothing is left for them).
    A dialogue they already hold comes first, so a reload or a second tab resumes it."""
    if policy not in _ORDER:
        from selflearn_site.exceptions import ApplicationError

        raise ApplicationError(
            f"policy must be one of {', '.join(QueuePolicy.values)}, got {policy!r}",
            extra={"field": "policy"},
        )
    now = timezone.now()
    open_states = DialogueReviewState.objects.filter(dataset=dataset, is_open=True)
    held = open_states.filter(locked_by=reviewer, locked_until__gte=now).values_list("dialogue_id", flat=True)
    for dialogue_id in held[:1]:
        review_lock_claim(dialogue_id=dialogue_id, reviewer=reviewer)
        return dialogue_id
    mine_already = DialogueReview.objects.filter(dialogue_id=OuterRef("dialogue_id"), reviewer=reviewer)
    candidates = (
        open_states.filter(free_or_held_by(reviewer, now))
        .filter(~Exists(mine_already))
        .order_by(*_ORDER[QueuePolicy(policy)])
        .values_list("dialogue_id", flat=True)
    )
    for dialogue_id in candidates[:_CANDIDATES]:
        # Someone may have claimed it since the read: the claim is conditional, so try the next one.
        if review_lock_claim(dialogue_id=dialogue_id, reviewer=reviewer):
            return dialogue_id
    return None


@transaction.atomic
def review_leave(*, dialogue_id: int, reviewer: User) -> bool:
    """The reviewer moves on from a dialogue: their hold ends and, unless they finished it, it counts
    as skipped (the queue will not offer it to them again). Returns whether it was a skip."""
    review_lock_release(dialogue_id=dialogue_id, reviewer=reviewer)
    status = (
        DialogueReview.objects.filter(dialogue_id=dialogue_id, reviewer=reviewer)
        .values_list("status", flat=True)
        .first()
    )
    if status == DialogueReview.Status.DONE:
        return False
    DialogueReview.objects.update_or_create(
        dialogue_id=dialogue_id,
        reviewer=reviewer,
        defaults={"status": DialogueReview.Status.SKIPPED, "updated_at": timezone.now()},
    )
    return True


def review_skips_clear(*, dataset: Dataset, reviewer: User) -> int:
    """Offer the reviewer the dialogues they skipped again; returns how many."""
    deleted, _ = DialogueReview.objects.filter(
        dialogue__dataset=dataset, reviewer=reviewer, status=DialogueReview.Status.SKIPPED
    ).delete()
    return deleted
