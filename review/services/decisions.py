"""Reviewers' decisions on labels: accept, correct or reject them, or label a target that has none.

The review page's keystrokes and the review API call these same functions. Each one refuses a decision
made on an older revision of a label (ReviewConflict, HTTP 409, carrying the label as it is now), so no
update is lost when two people change the same label; writes everything or nothing, with an
append-only ReviewEvent per change (see review_changes); and costs a fixed number of queries, whatever
the dialogue's length and however many labels it decides.

Corroboration: with ``Dataset.required_reviews`` at one, a verdict is applied to the label at once
(accepted, corrected or rejected). With more, each reviewer's verdict is kept on its own (LabelReview)
and the label stays as the model proposed it until the last verdict is in; then it becomes gold when
all agree (rejected when all reject) or goes to a dataset admin's adjudication list when they do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from annotations.models import Dialogue, Label, LabelKind, LabelSource, LabelStatus, ReviewEvent
from review.models import Adjudication, LabelReview, ReviewDecision
from review.rules import (
    OPEN_STATUSES,
    REJECTED,
    SuccessLabel,
    TurnInfo,
    current_labels,
    plan_goal_success,
    same_value,
    segments_of,
    validate_value,
    verdict_key,
)
from review.services.changes import (
    UNSET,
    ReviewChanges,
    ReviewConflict,
    ReviewOutcome,
    finish_action,
    locked,
    snapshot,
    turn_infos,
)
from selflearn_site.exceptions import ApplicationError

_ACTION_OF: dict[str, str] = {
    ReviewDecision.ACCEPT: ReviewEvent.Action.ACCEPT,
    ReviewDecision.CORRECT: ReviewEvent.Action.CORRECT,
    ReviewDecision.REJECT: ReviewEvent.Action.REJECT,
}


@dataclass(frozen=True)
class DecisionInput:
    label_id: int
    action: str
    revision: int
    value: Any = UNSET


# ---------------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def review_decide(*, dialogue: Dialogue, reviewer: User, decisions: Sequence[DecisionInput]) -> ReviewOutcome:
    """Apply the reviewer's decisions on labels of one dialogue (one, or every label of the page for
    "accept all"): all of them or, when any names a stale revision or an invalid value, none."""
    if not decisions:
        raise ApplicationError("Name at least one label to decide on.", extra={"field": "labels"})
    ids = [decision.label_id for decision in decisions]
    if len(set(ids)) != len(ids):
        raise ApplicationError("A label is named twice.", extra={"field": "labels"})
    labels = {label.pk: label for label in locked(Label.objects.filter(dialogue=dialogue, pk__in=ids))}
    missing = [label_id for label_id in ids if label_id not in labels]
    if missing:
        raise ApplicationError(
            f"No label {missing[0]} in this dialogue.", extra={"field": "label"}, status=404
        )
    stale = [labels[d.label_id] for d in decisions if labels[d.label_id].revision != d.revision]
    if stale:
        raise ReviewConflict(_conflict_message(stale), labels=stale)
    turns = turn_infos(dialogue)
    for decision in decisions:
        _validate_decision(decision, labels[decision.label_id], turns)
    reviews: dict[int, dict[int | None, LabelReview]] = defaultdict(dict)
    for review in LabelReview.objects.filter(label_id__in=ids):
        reviews[review.label_id][review.reviewer_id] = review
    required = max(1, dialogue.dataset.required_reviews)
    changes = ReviewChanges(reviewer=reviewer, dialogue=dialogue)
    goal_changes: list[tuple[Any, Any]] = []
    for decision in decisions:
        label = labels[decision.label_id]
        value = decision.value
        action = decision.action
        if action == ReviewDecision.CORRECT and same_value(label.kind, value, label.value):
            action = ReviewDecision.ACCEPT  # a "correction" to what is there already confirms it
        old_value = label.value
        if required == 1:
            _apply_verdict(changes, label, reviews[label.pk].get(reviewer.pk), action, value)
        else:
            _record_verdict(changes, label, reviews[label.pk], action, value, required)
        if label.kind == LabelKind.GOAL_SEGMENTS and not same_value(label.kind, old_value, label.value):
            goal_changes.append((old_value, label.value))
    for old_value, new_value in goal_changes:
        goal_success_follows(changes, old_value, new_value, turns, required)
    changes.flush()
    return finish_action(dialogue, reviewer, changes)


def _conflict_message(stale: Sequence[Label]) -> str:
    label = stale[0]
    last = ReviewEvent.objects.filter(label=label, actor__isnull=False).select_related("actor").last()
    who = f" by {last.actor.get_username()}" if last and last.actor else ""
    kind = label.get_kind_display().lower()
    more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
    return (
        f"This {kind} label changed{who} since you loaded the page{more}: it is now "
        f"{label.get_status_display().lower()} at revision {label.revision}. Nothing was saved; "
        "the page shows the current value."
    )


def _validate_decision(decision: DecisionInput, label: Label, turns: dict[int | None, TurnInfo]) -> None:
    if decision.action not in ReviewDecision.values:
        raise ApplicationError(
            f"action must be one of {', '.join(ReviewDecision.values)}, got {decision.action!r}",
            extra={"field": "action"},
        )
    if decision.action == ReviewDecision.CORRECT:
        if decision.value is UNSET:
            raise ApplicationError("A correction needs the new value.", extra={"field": "value"})
        validate_value(label.kind, decision.value, turn=turns.get(label.turn_id), turns=list(turns.values()))
    elif decision.value is not UNSET:
        raise ApplicationError(f"A {decision.action} takes no value.", extra={"field": "value"})


def _verdict_value(label: Label, action: str, value: Any) -> Any:
    verdicts: dict[str, Any] = {ReviewDecision.ACCEPT: label.value, ReviewDecision.CORRECT: value}
    return verdicts.get(action)


def _my_review(
    changes: ReviewChanges, label: Label, mine: LabelReview | None, action: str, value: Any
) -> LabelReview:
    review = mine or LabelReview(
        label=label,
        dialogue_id=label.dialogue_id,
        reviewer=changes.reviewer,
        proposed=label.value,
        created_at=changes.now,
    )
    review.label = label
    review.decision = action
    review.value = _verdict_value(label, action, value)
    review.updated_at = changes.now
    changes.reviews[label.pk] = review
    return review


def _apply_verdict(
    changes: ReviewChanges, label: Label, mine: LabelReview | None, action: str, value: Any
) -> None:
    """One review is enough: the verdict becomes the label's status (and value)."""
    before = snapshot(label, mine)
    review = _my_review(changes, label, mine, action, value)
    if action == ReviewDecision.ACCEPT:
        if label.status not in (LabelStatus.GOLD, LabelStatus.CORRECTED):
            label.status = LabelStatus.ACCEPTED
    elif action == ReviewDecision.CORRECT:
        label.status, label.value = LabelStatus.CORRECTED, value
    else:
        label.status = LabelStatus.REJECTED
    changes.change(label)
    changes.event(_ACTION_OF[action], label, before, snapshot(label, review))


def _record_verdict(
    changes: ReviewChanges,
    label: Label,
    reviews: dict[int | None, LabelReview],
    action: str,
    value: Any,
    required: int,
) -> None:
    """One of several independent verdicts: kept on its own (a reviewer may change theirs until the
    last is in); the label changes when the last is in."""
    assert changes.reviewer is not None, "a verdict is always a person's"
    reviewer_id = changes.reviewer.pk
    mine = reviews.get(reviewer_id)
    others = [review for reviewer, review in reviews.items() if reviewer != reviewer_id]
    if label.status not in OPEN_STATUSES or len(reviews) >= required:
        raise ApplicationError(
            f"This label is settled ({label.get_status_display().lower()}"
            f"{', waiting for adjudication' if label.status in OPEN_STATUSES else ''}): "
            "only a dataset admin can change it now, on the adjudication page.",
            status=409,
        )
    before = snapshot(label, mine)
    review = _my_review(changes, label, mine, action, value)
    changes.event(_ACTION_OF[action], label, before, snapshot(label, review))
    verdicts = [*others, review]
    if len(verdicts) >= required:
        resolve_verdicts(changes, label, verdicts)


def resolve_verdicts(changes: ReviewChanges, label: Label, verdicts: Sequence[LabelReview]) -> None:
    """All verdicts in: gold (or rejected) when they agree, otherwise adjudication."""
    keys = {verdict_key(label.kind, review.decision, review.value) for review in verdicts}
    if len(keys) > 1:
        changes.adjudications.append(
            Adjudication(label=label, dataset_id=changes.dialogue.dataset_id, created_at=changes.now)
        )
        return
    before = snapshot(label)
    if keys == {REJECTED}:
        label.status = LabelStatus.REJECTED
    else:
        label.status, label.value = LabelStatus.GOLD, verdicts[0].value
    changes.change(label)
    after = {**snapshot(label), "reviews": len(verdicts)}
    changes.event(ReviewEvent.Action.CORROBORATE, label, before, after, actor=None)


def goal_success_follows(
    changes: ReviewChanges, old_value: Any, new_value: Any, turns: dict[int | None, TurnInfo], required: int
) -> None:
    """After the goal segmentation changed, each goal's success label moves to the goal's first turn;
    a goal split off another gets one, a goal merged away loses its own."""
    pk_of = {turn.external_id: turn.pk for turn in turns.values()}
    external_of: dict[int | None, str] = {turn.pk: turn.external_id for turn in turns.values()}
    candidates = Label.objects.filter(dialogue=changes.dialogue, kind=LabelKind.GOAL_SUCCESS)
    success = {
        label.pk: changes.labels.get(label.pk, label)
        for label in current_labels(locked(candidates)).values()
        if label.status != LabelStatus.REJECTED
    }
    plan = plan_goal_success(
        segments_of(old_value),
        segments_of(new_value),
        [SuccessLabel(pk, external_of.get(label.turn_id, ""), label.value) for pk, label in success.items()],
    )
    for label_id, turn_external_id in plan.moves:
        label = success[label_id]
        before = {**snapshot(label), "turn": external_of.get(label.turn_id), "turn_pk": label.turn_id}
        label.turn_id = pk_of[turn_external_id]
        changes.change(label)
        after = {**snapshot(label), "turn": turn_external_id, "turn_pk": label.turn_id}
        changes.event(ReviewEvent.Action.RETARGET, label, before, after)
    for label_id in plan.rejects:
        label = success[label_id]
        before = snapshot(label)
        label.status = LabelStatus.REJECTED
        changes.change(label)
        changes.event(ReviewEvent.Action.REJECT, label, before, {**snapshot(label), "why": "goal merged"})
    for turn_external_id, value in plan.creates:
        label = Label(
            dialogue=changes.dialogue,
            turn_id=pk_of[turn_external_id],
            kind=LabelKind.GOAL_SUCCESS,
            value=value,
            status=LabelStatus.CORRECTED if required == 1 else LabelStatus.PROPOSED,
            source_type=LabelSource.PERSON,
            author=changes.reviewer,
            created_at=changes.now,
            updated_at=changes.now,
        )
        event = ReviewEvent(
            dialogue_id=changes.dialogue.pk,
            actor=changes.reviewer,
            action=ReviewEvent.Action.CREATE,
            kind=LabelKind.GOAL_SUCCESS,
            before=None,
            after={**snapshot(label), "turn": turn_external_id, "why": "goal split"},
            group=changes.group,
        )
        changes.new_labels.append((label, event))


# ---------------------------------------------------------------------------------------------------
# A person's own label where there is none
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def review_label_create(
    *, dialogue: Dialogue, reviewer: User, kind: str, turn_external_id: str | None, value: Any
) -> ReviewOutcome:
    """Label a target that has no label of this kind (or only a rejected one): the reviewer's own
    label, which counts as their verdict. With several reviews required, the others review it."""
    turns = turn_infos(dialogue)
    turn = next((t for t in turns.values() if t.external_id == turn_external_id), None)
    if turn_external_id is not None and turn is None:
        raise ApplicationError(
            f"turn: no turn {turn_external_id!r} in this dialogue", extra={"field": "turn"}
        )
    validate_value(kind, value, turn=turn, turns=list(turns.values()))
    existing = current_labels(
        locked(
            Label.objects.filter(
                Q(turn_id=turn.pk) if turn else Q(turn__isnull=True), dialogue=dialogue, kind=kind
            )
        )
    )
    for label in existing.values():
        if label.status != LabelStatus.REJECTED:
            raise ReviewConflict(
                f"This {label.get_kind_display().lower()} already has a label: decide on that one.",
                labels=[label],
            )
    required = max(1, dialogue.dataset.required_reviews)
    changes = ReviewChanges(reviewer=reviewer, dialogue=dialogue)
    label = Label(
        dialogue=dialogue,
        turn_id=turn.pk if turn else None,
        kind=kind,
        value=value,
        status=LabelStatus.CORRECTED if required == 1 else LabelStatus.PROPOSED,
        source_type=LabelSource.PERSON,
        author=reviewer,
        created_at=changes.now,
        updated_at=changes.now,
    )
    event = ReviewEvent(
        dialogue_id=dialogue.pk,
        actor=reviewer,
        action=ReviewEvent.Action.CREATE,
        kind=kind,
        before=None,
        after=snapshot(label, None),
        group=changes.group,
    )
    changes.new_labels.append((label, event))
    changes.reviews[-1] = LabelReview(
        label=label,
        dialogue_id=dialogue.pk,
        reviewer=reviewer,
        decision=ReviewDecision.CORRECT,
        proposed=None,
        value=value,
        created_at=changes.now,
        updated_at=changes.now,
    )
    changes.flush()
    return finish_action(dialogue, reviewer, changes)
