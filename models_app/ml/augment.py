"""Training data that looks like real logs: many logs record no response, no status code, no
confidences, no reactions, no timing, or not the assistant's own reading. A model trained only on logs
that have all of them learns to lean on them (the simulator's status codes and responses give a failure
away) and then fails on logs without them.

``drop_fields`` hides each such group of fields from a share of the training dialogues, for the whole
dialogue at once (a log either records a field or never does), so the model learns to decide from what a
turn has. Gold labels are untouched.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any, Final

from models_app.ml.data import DialogueExample, TurnInput

# Each group of TurnInput fields that a log records or leaves out as one, with the value "not recorded".
FIELD_GROUPS: Final[dict[str, dict[str, Any]]] = {
    "response": {"response": ""},
    "status": {"status": None},
    "confidences": {"asr_confidence": None, "nlu_confidence": None},
    "reactions": {"feedback": None, "barge_in": None},
    "timing": {"seconds_since_previous": None},
    "reading": {"domain": None, "intent": None, "slots": None},
}


def drop_fields(examples: Sequence[DialogueExample], rate: float, seed: int) -> list[DialogueExample]:
    """A copy of ``examples`` in which each dialogue lacks each field group with probability ``rate``
    (seeded, so a rerun drops the same fields). A dialogue that loses nothing is the same object."""
    if not 0 <= rate <= 1:
        raise ValueError(f"field dropout must be in [0, 1], not {rate}")
    rng = random.Random(seed)
    out: list[DialogueExample] = []
    for example in examples:
        dropped: dict[str, Any] = {}
        for fields in FIELD_GROUPS.values():
            if rng.random() < rate:
                dropped.update(fields)
        if not dropped:
            out.append(example)
            continue
        out.append(
            dataclasses.replace(
                example, turns=[dataclasses.replace(turn, **dropped) for turn in example.turns]
            )
        )
    return out


def has_aftermath(turn: TurnInput) -> bool:
    """Whether the log shows what followed the utterance: the assistant's response or status, or the
    person's reaction. Without any of it, nothing on the turn can show a false wake or a wrong result."""
    return bool(turn.response.strip()) or any(
        value is not None for value in (turn.status, turn.feedback, turn.barge_in)
    )
