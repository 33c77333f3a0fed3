"""What every review action shares: the writes it collects (flushed in a fixed number of statements),
the snapshots its audit events keep, the row locks it takes, and what it does when it is done (the
reviewer's progress, the dialogue's queue state and hold, the changed labels to redraw)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from annotations.models import Dialogue, Label, LabelKind, ReviewEvent, Turn
from review.facts import DialogueFacts, dialogue_facts
from review.models import Adjudication, DialogueReview, LabelReview
from review.payload import ReviewLabel, review_labels
from review.rules import TurnInfo
from review.services.locks import review_lock_after_save
from review.services.state import review_state_refresh
from review.services.writes import label_reviews_upsert, labels_update, review_events_insert
from selflearn_site.exceptions import ApplicationError
from teachable.services import preferences_learn_from_labels

UNSET: Any = object()  # "not given" (a value may be None)


class ReviewConflict(ApplicationError):
    """The label changed since the person saw it: nothing was written; ``labels`` are as they are now."""

    def __init__(self, message: str, *, labels: Sequence[Label]) -> None:
        super().__init__(message, extra={"field": "revision"}, status=409)
        self.labels = list(labels)


@dataclass
class ReviewOutcome:
    """What an action changed, for the page to redraw: the labels (reloaded), the ids of labels it
    deleted, the reviewer's own verdicts on those labels, and where the dialogue now stands."""

    labels: list[ReviewLabel]
    deleted: list[int]
    my_reviews: dict[int, LabelReview]
    facts: DialogueFacts
    done: bool
    reviews_done: int
    group: str


@dataclass
class ReviewChanges:
    """Everything one action writes, flushed in a fixed number of statements."""

    reviewer: User | None
    dialogue: Dialogue
    group: str = field(default_factory=lambda: uuid.uuid4().hex)
    now: Any = field(default_factory=timezone.now)
    labels: dict[int, Label] = field(default_factory=dict)
    new_labels: list[tuple[Label, ReviewEvent]] = field(default_factory=list)
    reviews: dict[int, LabelReview] = field(default_factory=dict)
    drop_reviews: list[int] = field(default_factory=list)  # label ids whose review by the reviewer goes
    events: list[ReviewEvent] = field(default_factory=list)
    adjudications: list[Adjudication] = field(default_factory=list)

    def change(self, label: Label) -> None:
        label.revision += 1
        label.updated_at = self.now
        self.labels[label.pk] = label

    def event(
        self, action: str, label: Label, before: dict[str, Any], after: dict[str, Any], *, actor: Any = UNSET
    ) -> None:
        self.events.append(
            ReviewEvent(
                dialogue_id=label.dialogue_id,
                label=label,
                actor=self.reviewer if actor is UNSET else actor,
                action=action,
                kind=label.kind,
                before=before,
                after=after,
                group=self.group,
            )
        )

    def flush(self) -> None:
        """One statement per kind of write, whatever the number of labels (see review_writes)."""
        labels_update(self.labels.values())
        for label, event in self.new_labels:
            label.save(force_insert=True)  # new labels are few (a goal split, a person's own label)
            event.label = label
            self.events.append(event)
        for review in self.reviews.values():
            review.label_id = review.label.pk
        label_reviews_upsert(self.reviews.values())
        if self.drop_reviews:
            LabelReview.objects.filter(label_id__in=self.drop_reviews, reviewer=self.reviewer).delete()
        if self.adjudications:
            Adjudication.objects.bulk_create(self.adjudications, ignore_conflicts=True)
        review_events_insert(self.events, now=self.now)


def snapshot(label: Label, review: LabelReview | Any | None = UNSET) -> dict[str, Any]:
    data = {"status": label.status, "value": label.value, "revision": label.revision}
    if review is not UNSET:
        data["review"] = None if review is None else {"decision": review.decision, "value": review.value}
    return data


def locked(queryset: QuerySet[Label]) -> QuerySet[Label]:
    """Row locks on PostgreSQL; SQLite's IMMEDIATE transactions already take the database's write lock."""
    if connection.features.has_select_for_update:
        queryset = queryset.select_for_update(of=("self",))
    return queryset


def turn_infos(dialogue: Dialogue) -> dict[int | None, TurnInfo]:
    return {
        pk: TurnInfo(pk=pk, external_id=external_id, position=position, utterance=utterance)
        for pk, external_id, position, utterance in Turn.objects.filter(dialogue=dialogue).values_list(
            "pk", "external_id", "position", "utterance"
        )
    }


# ---------------------------------------------------------------------------------------------------
# After every action
# ---------------------------------------------------------------------------------------------------


def finish_action(
    dialogue: Dialogue, reviewer: User, changes: ReviewChanges, *, deleted: Sequence[int] = ()
) -> ReviewOutcome:
    """The reviewer's progress on the dialogue, its queue state and hold, and the changed labels."""
    known = {dialogue.pk: (dialogue.dataset_id, dialogue.dataset.required_reviews)}
    facts = dialogue_facts([dialogue.pk], datasets=known)[dialogue.pk]
    done = not facts.awaiting_for(reviewer.pk) and facts.has_verdict_from(reviewer.pk)
    if done:
        DialogueReview.objects.bulk_create(
            [
                DialogueReview(
                    dialogue=dialogue,
                    reviewer=reviewer,
                    status=DialogueReview.Status.DONE,
                    updated_at=changes.now,
                )
            ],
            update_conflicts=True,
            unique_fields=["dialogue", "reviewer"],
            update_fields=["status", "updated_at"],
        )
    else:
        DialogueReview.objects.filter(
            dialogue=dialogue, reviewer=reviewer, status=DialogueReview.Status.DONE
        ).delete()
    reviews_done = review_state_refresh(dialogue_ids=[dialogue.pk], facts={dialogue.pk: facts})
    review_lock_after_save(dialogue=dialogue, reviewer=reviewer, done=done)
    touched = [
        pk for pk in {*changes.labels, *(label.pk for label, _ in changes.new_labels)} if pk not in deleted
    ]
    _teach_settled_preferences(dialogue, changes, deleted)
    labels = review_labels(Label.objects.filter(pk__in=touched))
    my_reviews = {
        review.label_id: review
        for review in LabelReview.objects.filter(label_id__in=touched, reviewer=reviewer)
    }
    return ReviewOutcome(
        labels=labels,
        deleted=list(deleted),
        my_reviews=my_reviews,
        facts=facts,
        done=done,
        reviews_done=reviews_done.get(dialogue.pk, 0),
        group=changes.group,
    )


def _teach_settled_preferences(dialogue: Dialogue, changes: ReviewChanges, deleted: Sequence[int]) -> None:
    """A settled ``preferences`` label teaches the preference store what its turn states (teachable's
    door; it learns each label revision once, so an undo and a redo do not double it). The changed
    labels are at hand: an action on other kinds costs no query here."""
    touched = [*changes.labels.values(), *(label for label, _ in changes.new_labels)]
    preference_ids = [
        label.pk for label in touched if label.kind == LabelKind.PREFERENCES and label.pk not in deleted
    ]
    if preference_ids:
        preferences_learn_from_labels(dataset=dialogue.dataset, label_ids=preference_ids)
