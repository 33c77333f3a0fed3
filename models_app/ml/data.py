"""What the label generation model reads and writes: plain dataclasses, no Django, no torch.

The Django side turns database rows into ``DialogueExample`` objects and ``DialoguePrediction``
objects back into Label rows; everything under ``models_app/ml`` sees only these types.

Turns are referred to by their index in the dialogue (0-based). A target that is ``None`` has no gold
label and is masked out of the loss and the metrics, so single-turn NLU corpora (intents and slots
only), SGD dialogues and simulated dialogues (every label) train one model together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The intent of a turn that was not meant for the assistant (FORMAT.md's `"intent": null`).
NO_INTENT = "<no-intent>"
# The rephrase target of a turn that restates no earlier turn (FORMAT.md's `"rephrase_of": null`).
NOT_A_REPHRASE = -1

FAILURE_POINTS = ("none", "false_wake", "asr", "nlu", "entity", "result")
FEEDBACK_VALUES = ("positive", "negative")


@dataclass(frozen=True)
class Span:
    """Character offsets into the turn's utterance, end exclusive; ``type`` is the slot type."""

    start: int
    end: int
    type: str
    value: Any = None


@dataclass(frozen=True)
class StatedPreference:
    """A preference the person states in a turn (FORMAT.md's turn label ``preferences``)."""

    domain: str
    key: str
    value: str
    polarity: str = "like"  # or "dislike"
    start: int | None = None  # the span of the utterance that says it, where known
    end: int | None = None


@dataclass
class TurnInput:
    """What the log says happened on one turn (all but the utterance may be missing)."""

    utterance: str
    response: str = ""
    domain: str | None = None  # the domain the assistant routed to
    intent: str | None = None  # the intent the assistant acted on (may be wrong)
    status: str | None = None  # the assistant's own outcome code
    asr_confidence: float | None = None
    nlu_confidence: float | None = None
    seconds_since_previous: float | None = None  # None on the first turn or without timestamps
    barge_in: bool | None = None
    feedback: str | None = None  # "positive", "negative" or None
    # The slots the assistant's NLU produced (may be wrong; FORMAT.md's turn ``slots``), None if unknown.
    slots: list[Span] | None = None


@dataclass
class TurnTargets:
    """Gold labels of one turn; None means "no gold", never "no".

    ``intent`` is NO_INTENT for a turn not meant for the assistant; ``rephrase_of`` is the index of
    an earlier turn, or NOT_A_REPHRASE.
    """

    intent: str | None = None
    slots: list[Span] | None = None
    failure_point: str | None = None
    rephrase_of: int | None = None
    defect: bool | None = None
    preferences: list[StatedPreference] | None = None  # [] = states none


@dataclass
class DialogueExample:
    turns: list[TurnInput]
    device_type: str | None = None
    has_screen: bool | None = None
    # One TurnTargets per turn, or None when the dialogue has no turn-level gold at all.
    targets: list[TurnTargets] | None = None
    # Goal segments as runs of consecutive turn indices, in order; turns in no goal (false wakes) are
    # in none. None when there is no gold segmentation.
    goals: list[list[int]] | None = None
    # Aligned with ``goals``: whether each goal was achieved (None where unknown).
    goal_success: list[bool | None] | None = None
    # The caller's identifier (a dialogue's primary key, say), carried through to the prediction.
    key: Any = None


@dataclass(frozen=True)
class Predicted:
    """A predicted value with its calibrated confidence in [0, 1]."""

    value: Any
    confidence: float


@dataclass
class TurnPrediction:
    intent: Predicted  # str, NO_INTENT for "not meant for the assistant"
    slots: Predicted  # list[Span]; confidence of the whole tagging of the utterance
    failure_point: Predicted  # one of FAILURE_POINTS
    rephrase_of: Predicted  # int index of an earlier turn, or NOT_A_REPHRASE
    defect: Predicted  # bool
    # list[StatedPreference]; from the intent and slot heads (models_app.ml.preferences).
    preferences: Predicted = field(default_factory=lambda: Predicted([], 0.0))
    # What the failure point rests on, for the reviewer (models_app.ml.explain): {"kind", "says",
    # "points_to"} items.
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass
class DialoguePrediction:
    key: Any
    turns: list[TurnPrediction]
    goals: Predicted  # list[list[int]]: the goal segments
    goal_success: list[Predicted] = field(default_factory=list)  # aligned with goals.value
