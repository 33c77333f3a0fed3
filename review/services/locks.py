"""The queue's hold on a dialogue: while one reviewer works on it, the queue gives it to nobody else.

A hold lasts ``SELFLEARN_REVIEW_LOCK_SECONDS`` (10 minutes by default) and every saved decision renews
it, so a reviewer who walks away frees the dialogue by itself. Each change is one conditional UPDATE,
so two reviewers asking at the same moment can never both get the same dialogue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from annotations.models import Dialogue
from review.models import DialogueReviewState


def hold_until(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.SELFLEARN_REVIEW_LOCK_SECONDS)


def free_or_held_by(reviewer: User, now: datetime) -> Q:
    """States nobody else holds right now (never held, the hold expired, or held by ``reviewer``)."""
    return Q(locked_by__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=reviewer)


def review_lock_claim(*, dialogue_id: int, reviewer: User) -> bool:
    """Hold the dialogue for the reviewer (or renew their hold); False when someone else holds it."""
    now = timezone.now()
    claimed = DialogueReviewState.objects.filter(
        free_or_held_by(reviewer, now), dialogue_id=dialogue_id
    ).update(locked_by=reviewer, locked_until=hold_until(now))
    return claimed > 0


def review_lock_release(*, dialogue_id: int, reviewer: User) -> None:
    """Let go of the reviewer's hold, if they have one."""
    DialogueReviewState.objects.filter(dialogue_id=dialogue_id, locked_by=reviewer).update(
        locked_by=None, locked_until=None
    )


def review_lock_after_save(*, dialogue: Dialogue, reviewer: User, done: bool) -> None:
    """A saved decision renews the reviewer's hold; finishing the dialogue lets it go."""
    if done:
        review_lock_release(dialogue_id=dialogue.pk, reviewer=reviewer)
    else:
        review_lock_claim(dialogue_id=dialogue.pk, reviewer=reviewer)
