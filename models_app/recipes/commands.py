"""Single voice commands from simulated dialogues: the shape of many real logs, one request heard
by the recogniser and read by the assistant's NLU, with nothing after it (no response, no status, no
reaction). Plain Python.

Each request turn of a simulated dialogue becomes a dialogue of its own, keeping what a command log
records (the heard utterance, the assistant's intent, domain and slots, the recogniser's and the NLU's
confidences) and its gold (intent, slots, failure point). A turn whose failure only what came after it
could show (a false wake, a wrong result) has no place here and is left out, as are turns without a
failure point label (teaching, guided questions). A model trained with them learns to find ASR, NLU
and entity errors from what a single command carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# What a single command's log records of the turn.
KEPT_FIELDS = ("id", "utterance", "asr_confidence", "nlu_confidence", "domain", "intent", "slots")
# Failure points a single command can show.
COMMAND_FAILURES = frozenset({"none", "asr", "nlu", "entity"})
KEPT_LABELS = ("intent", "slots", "failure_point")


def single_commands(dialogues: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for dialogue in dialogues:
        turn_labels = (dialogue.get("labels") or {}).get("turns") or {}
        for turn in dialogue.get("turns", []):
            label = turn_labels.get(turn.get("id")) or {}
            if label.get("failure_point") not in COMMAND_FAILURES:
                continue
            kept = {field: turn[field] for field in KEPT_FIELDS if field in turn}
            kept["id"] = "t1"
            yield {
                "id": f"{dialogue['id']}-{turn['id']}",
                **({"user_id": dialogue["user_id"]} if dialogue.get("user_id") else {}),
                "metadata": {"source": "single-command", "from_dialogue": dialogue["id"]},
                "turns": [kept],
                "labels": {"turns": {"t1": {key: label[key] for key in KEPT_LABELS if key in label}}},
            }
