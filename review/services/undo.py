"""Undo: a reviewer takes back their latest action on a dialogue, whole, one action at a time."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from annotations.models import Dialogue, Label, ReviewEvent
from review.models import Adjudication, LabelReview
from review.services.changes import ReviewChanges, ReviewConflict, ReviewOutcome, finish_action, locked
from selflearn_site.exceptions import ApplicationError


@transaction.atomic
def review_undo(*, dialogue: Dialogue, reviewer: User) -> ReviewOutcome:
    """Take back the reviewer's latest action on this dialogue that is not taken back yet: every label
    it changed returns to what it was before, unless someone changed it since (ReviewConflict)."""
    not_undone = ~Exists(ReviewEvent.objects.filter(reverts=OuterRef("pk")))
    latest = (
        ReviewEvent.objects.filter(dialogue=dialogue, actor=reviewer)
        .exclude(group="")
        .exclude(action=ReviewEvent.Action.UNDO)
        .filter(not_undone)
        .order_by("-id")
        .first()
    )
    if latest is None:
        raise ApplicationError("Nothing of yours to undo on this dialogue.", status=409)
    events = list(ReviewEvent.objects.filter(dialogue=dialogue, group=latest.group).order_by("id"))
    first_of: dict[int, ReviewEvent] = {}
    last_of: dict[int, ReviewEvent] = {}
    for event in events:
        if event.label_id is not None:
            first_of.setdefault(event.label_id, event)
            last_of[event.label_id] = event
    labels = {label.pk: label for label in locked(Label.objects.filter(pk__in=first_of))}
    stale = _changed_since(labels, last_of, reviewer)
    if stale:
        raise ReviewConflict(
            "Someone changed this label after your decision, so it cannot be undone: "
            f"it is now {stale[0].get_status_display().lower()} at revision {stale[0].revision}.",
            labels=stale,
        )
    changes = ReviewChanges(reviewer=reviewer, dialogue=dialogue)
    deleted: list[int] = []
    mine = {
        review.label_id: review
        for review in LabelReview.objects.filter(label_id__in=labels, reviewer=reviewer)
    }
    for pk, label in labels.items():
        first = first_of[pk]
        if first.action == ReviewEvent.Action.CREATE:
            deleted.append(pk)
            continue
        before = first.before or {}
        label.status, label.value = before.get("status", label.status), before.get("value", label.value)
        if "turn_pk" in before:
            label.turn_id = before["turn_pk"]
        changes.change(label)
        if "review" in before:
            earlier = before["review"]
            if earlier is None:
                changes.drop_reviews.append(pk)
            else:
                review = mine.get(pk) or LabelReview(
                    label=label, dialogue_id=label.dialogue_id, reviewer=reviewer, created_at=changes.now
                )
                review.label, review.decision, review.value = label, earlier["decision"], earlier["value"]
                review.updated_at = changes.now
                changes.reviews[pk] = review
    for event in reversed(events):
        changes.events.append(
            ReviewEvent(
                dialogue_id=dialogue.pk,
                label_id=event.label_id if event.label_id not in deleted else None,
                actor=reviewer,
                action=ReviewEvent.Action.UNDO,
                kind=event.kind,
                before=event.after,
                after=event.before,
                group=changes.group,
                reverts=event,
            )
        )
    changes.flush()
    if deleted:
        Label.objects.filter(pk__in=deleted).delete()
    _reopen_adjudications(
        dialogue,
        events,
        [pk for pk in labels if pk not in deleted],
        max(1, dialogue.dataset.required_reviews),
    )
    return finish_action(dialogue, reviewer, changes, deleted=deleted)


def _changed_since(labels: dict[int, Label], last_of: dict[int, ReviewEvent], reviewer: User) -> list[Label]:
    """The labels someone changed after the action being undone. The reviewer's own later actions
    that they already took back do not count (undo walks back through them, one at a time)."""
    later = list(
        ReviewEvent.objects.filter(label_id__in=labels, id__gt=min(e.id for e in last_of.values())).order_by(
            "id"
        )
    )
    taken_back = {event.reverts_id for event in later if event.action == ReviewEvent.Action.UNDO}
    stale = []
    for pk, label in labels.items():
        for event in later:
            if event.label_id != pk or event.id <= last_of[pk].id:
                continue
            own_undo = event.action == ReviewEvent.Action.UNDO and event.actor_id == reviewer.pk
            if event.id not in taken_back and not own_undo:
                stale.append(label)
                break
    return stale


def _reopen_adjudications(
    dialogue: Dialogue, events: Sequence[ReviewEvent], label_ids: Sequence[int], required: int
) -> None:
    """An undone adjudication is open again; one whose reviews are no longer all in is gone."""
    adjudicated = [
        e.label_id for e in events if e.action == ReviewEvent.Action.ADJUDICATE and e.label_id is not None
    ]
    if adjudicated:
        Adjudication.objects.filter(label_id__in=adjudicated).update(resolved_at=None, resolved_by=None)
    short = (
        Label.objects.filter(
            pk__in=label_ids, adjudication__isnull=False, adjudication__resolved_at__isnull=True
        )
        .annotate(n=Count("reviews"))
        .filter(n__lt=required)
        .values("pk")
    )
    Adjudication.objects.filter(label_id__in=short).delete()
