"""The rules of review, as plain functions with no queries: which label of a target is the one under
review, which labels still wait for a reviewer, when two verdicts are the same, what a valid value of
each kind is, and where goal success labels go when the goals change.

The review page, the save services and the queue's state all decide these things through this module,
so they can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, TypeVar

from annotations.formats.dialogue_format import (
    DEFAULT_POLARITY,
    FAILURE_POINTS,
    MAX_ID_LENGTH,
    PREFERENCE_FIELDS,
    _Checker,
)
from annotations.models import LabelKind, LabelSource, LabelStatus
from review.models import ReviewDecision
from selflearn_site.exceptions import ApplicationError

# A label below this confidence is drawn emphasised on the review page.
LOW_CONFIDENCE = 0.6
# Statuses of a label that more verdicts can still change: a model's proposal, a label the auto-accept
# rule accepted (no person has looked at it), or one that fewer reviewers than the dataset now asks
# for accepted or corrected. Gold and rejected labels are settled.
OPEN_STATUSES = (LabelStatus.PROPOSED, LabelStatus.ACCEPTED, LabelStatus.CORRECTED)
# The verdict "this label should not exist", as a category beside the values a label can take.
REJECTED = "<rejected>"

# A person's label is never superseded by a model's; a model's proposal is reviewed even where an
# imported label exists (that is how a model is checked against gold).
_SOURCE_RANK: dict[str, int] = {LabelSource.IMPORT: 0, LabelSource.MODEL: 1, LabelSource.PERSON: 2}


class LabelLike(Protocol):
    id: int
    turn_id: int | None
    kind: str
    value: Any
    status: str
    source_type: str
    model_version_id: int | None


Target = tuple[int | None, str]  # (turn pk or None for the dialogue, kind)
# A Label, or a row of its columns (review.facts.LabelRow): whichever the caller has, it gets back.
AnyLabel = TypeVar("AnyLabel", bound=LabelLike)


def current_labels(labels: Iterable[AnyLabel]) -> dict[Target, AnyLabel]:
    """The label under review for each target and kind: the newest person's, else the newest model
    version's, else the imported one. Older models' labels are superseded, not reviewed again."""
    chosen: dict[Target, AnyLabel] = {}
    best: dict[Target, tuple[int, int, int]] = {}
    for label in labels:
        target = (label.turn_id, label.kind)
        rank = (_SOURCE_RANK.get(label.source_type, 0), label.model_version_id or 0, label.id)
        if target not in best or rank > best[target]:
            best[target], chosen[target] = rank, label
    return chosen


def is_awaiting(label: LabelLike, reviews: int, required: int) -> bool:
    """Whether the label still waits for reviewers: not imported gold, not settled, and fewer than the
    dataset's required number of verdicts in. A person's own label is a verdict already; it waits
    only where others must corroborate it."""
    if label.source_type == LabelSource.IMPORT or label.status not in OPEN_STATUSES:
        return False
    if label.source_type == LabelSource.PERSON and required == 1:
        return False
    return reviews < required


def canonical(kind: str, value: Any) -> Any:
    """The value in a form where equal meaning is equal data: spans in order, with only their keys;
    preferences in a fixed order, with only their keys and their polarity spelled out."""
    if kind == LabelKind.SLOTS and isinstance(value, list):
        spans = [
            {key: span[key] for key in ("start", "end", "type", "value") if key in span}
            for span in value
            if isinstance(span, dict)
        ]
        return sorted(spans, key=lambda span: (span.get("start", 0), span.get("end", 0)))
    if kind == LabelKind.PREFERENCES and isinstance(value, list):
        # A set of preferences, each with its polarity spelled out (like when absent) and its span.
        preferences = [
            {
                **{key: item[key] for key in (*PREFERENCE_FIELDS, "start", "end") if key in item},
                "polarity": item.get("polarity", DEFAULT_POLARITY),
            }
            for item in value
            if isinstance(item, dict)
        ]
        return sorted(preferences, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    if kind == LabelKind.GOAL_SEGMENTS and isinstance(value, list):
        return [goal.get("turns") if isinstance(goal, dict) else goal for goal in value]
    return value


def same_value(kind: str, first: Any, second: Any) -> bool:
    return canonical(kind, first) == canonical(kind, second)


def verdict_key(kind: str, decision: str, value: Any) -> str:
    """A verdict as one category: every rejection alike, every value by its canonical JSON."""
    if decision == ReviewDecision.REJECT:
        return REJECTED
    return json.dumps(canonical(kind, value), sort_keys=True, ensure_ascii=False)


def label_verdict_key(kind: str, status: str, value: Any) -> str:
    """A settled label as a verdict category (rejected labels are the rejection category)."""
    return REJECTED if status == LabelStatus.REJECTED else verdict_key(kind, ReviewDecision.ACCEPT, value)


# ---------------------------------------------------------------------------------------------------
# Valid values
# ---------------------------------------------------------------------------------------------------


# A person's value (a rewrite's text, spans, preferences) is a few hundred characters; the bound keeps a
# body of megabytes out of the labels, the audit and every page that shows them.
MAX_VALUE_LENGTH = 20_000


@dataclass(frozen=True)
class TurnInfo:
    """What validating a value needs to know about the dialogue's turns."""

    pk: int
    external_id: str
    position: int
    utterance: str


def _fail(field: str, reason: str) -> NoReturn:
    message = reason if reason.startswith(field) else f"{field}: {reason}"
    raise ApplicationError(message, extra={"field": field})


def validate_value(kind: str, value: Any, *, turn: TurnInfo | None, turns: Sequence[TurnInfo]) -> None:
    """Raise ApplicationError naming the field (``value``, ``value[1].end``) when ``value`` is not a
    valid label of ``kind`` on ``turn`` (None for a dialogue-level label)."""
    # A goal segmentation names every turn: its bound grows with the dialogue (ids of 200 characters).
    limit = MAX_VALUE_LENGTH + (256 * len(turns) if kind == LabelKind.GOAL_SEGMENTS else 0)
    if len(json.dumps(value, ensure_ascii=False)) > limit:
        _fail("value", f"this label's value has at most {limit:,} characters as JSON")
    if kind not in LabelKind.values:
        _fail("kind", f"must be one of {', '.join(LabelKind.values)}, got {kind!r}")
    dialogue_level = kind == LabelKind.GOAL_SEGMENTS
    if dialogue_level != (turn is None):
        _fail("turn", "a goal segmentation belongs to the dialogue" if dialogue_level else "is required")
    if kind == LabelKind.INTENT:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            _fail("value", "an intent is a non-empty string, or null when the turn was not for the assistant")
        if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
            _fail("value", f"an intent has at most {MAX_ID_LENGTH} characters")
    elif kind in (LabelKind.SLOTS, LabelKind.PREFERENCES):
        check = _Checker()
        utterance = turn.utterance if turn else ""
        if kind == LabelKind.SLOTS:
            check.spans(value, utterance, "value")
        else:
            check.preferences(value, utterance, "value")
        if check.errors:
            # The message names the exact place (value[1].end); the field is the request's own.
            raise ApplicationError(str(check.errors[0]), extra={"field": "value"})
    elif kind == LabelKind.FAILURE_POINT:
        if value not in FAILURE_POINTS:
            _fail("value", f"a failure point is one of {', '.join(FAILURE_POINTS)}, got {value!r}")
    elif kind == LabelKind.REPHRASE_OF:
        earlier = {t.external_id for t in turns if turn is not None and t.position < turn.position}
        if value is not None and (not isinstance(value, str) or value not in earlier):
            _fail("value", f"must be the id of an earlier turn of the dialogue or null, got {value!r}")
    elif kind == LabelKind.REWRITE:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            _fail("value", "a rewrite is the utterance that would have served the person, or null")
    elif kind in (LabelKind.DEFECT, LabelKind.GOAL_SUCCESS):
        if not isinstance(value, bool):
            _fail("value", f"must be true or false, got {json.dumps(value)}")
    elif kind == LabelKind.GOAL_SEGMENTS:
        validate_segments(value, [t.external_id for t in sorted(turns, key=lambda t: t.position)])


def segments_of(value: Any) -> list[list[str]]:
    """The goals of a goal segmentation value as lists of turn ids (malformed parts as empty goals)."""
    goals = []
    for goal in value if isinstance(value, list) else []:
        turns = goal.get("turns") if isinstance(goal, dict) else None
        goals.append([str(turn_id) for turn_id in turns] if isinstance(turns, list) else [])
    return goals


def validate_segments(value: Any, turn_order: Sequence[str]) -> None:
    """Goals are runs of consecutive turns, in dialogue order, not overlapping (FORMAT.md)."""
    if not isinstance(value, list):
        _fail("value", "a goal segmentation is an array of goals")
    position = {turn_id: index for index, turn_id in enumerate(turn_order)}
    last_end = -1
    for index, goal in enumerate(value):
        where = f"value[{index}].turns"
        turns = goal.get("turns") if isinstance(goal, dict) else None
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            _fail("value", f"{where}: must be a non-empty array of turn ids")
        unknown = [turn_id for turn_id in turns if turn_id not in position]
        if unknown:
            _fail("value", f"{where}: {unknown[0]!r} is not a turn of this dialogue")
        places = [position[turn_id] for turn_id in turns]
        if places != list(range(places[0], places[0] + len(places))):
            _fail("value", f"{where}: must be consecutive turns in dialogue order")
        if places[0] <= last_end:
            _fail("value", f"{where}: overlaps or comes before the goal before it")
        last_end = places[-1]


# ---------------------------------------------------------------------------------------------------
# Goal success labels follow their goals
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuccessLabel:
    label_id: int
    turn: str  # the external id of the turn it targets: its goal's first turn
    value: Any


@dataclass
class SuccessPlan:
    """What a new goal segmentation does to the goal success labels."""

    moves: list[tuple[int, str]]  # (label id, the external id of the turn it now targets)
    rejects: list[int]  # labels whose goal is gone (merged into another, or no goal any more)
    creates: list[tuple[str, bool]]  # (first turn of a new goal, the success it starts with)


def plan_goal_success(
    old_segments: Sequence[Sequence[str]],
    new_segments: Sequence[Sequence[str]],
    labels: Sequence[SuccessLabel],
) -> SuccessPlan:
    """Old and new goals are matched in order: each new goal takes the first old goal it overlaps that
    no earlier new goal took, and that goal's success label moves to the new goal's first turn. A new
    goal left without one (split off another) starts with the success of the goal it came from; an old
    goal left without a new one (merged away) has its success label rejected. Labels on turns in no
    old goal are not this change's business and stay as they are."""
    plan = SuccessPlan(moves=[], rejects=[], creates=[])
    old_goal_of = {turn: index for index, goal in enumerate(old_segments) for turn in goal}
    label_of_goal: dict[int, SuccessLabel] = {}
    for label in sorted(labels, key=lambda label: label.label_id):
        index = old_goal_of.get(label.turn)
        if index is None:
            continue
        if index in label_of_goal:
            plan.rejects.append(label.label_id)  # a goal has one success label
        else:
            label_of_goal[index] = label
    matched: set[int] = set()
    for goal in new_segments:
        if not goal:
            continue
        overlapped = sorted({old_goal_of[turn] for turn in goal if turn in old_goal_of})
        match = next((index for index in overlapped if index not in matched), None)
        if match is None:
            came_from = label_of_goal.get(overlapped[0]) if overlapped else None
            if came_from is not None:
                plan.creates.append((goal[0], bool(came_from.value)))
            continue
        matched.add(match)
        moved = label_of_goal.get(match)
        if moved is not None and moved.turn != goal[0]:
            plan.moves.append((moved.label_id, goal[0]))
    plan.rejects += [label.label_id for index, label in label_of_goal.items() if index not in matched]
    return plan
