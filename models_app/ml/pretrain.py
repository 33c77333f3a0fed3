"""Self-supervised pretraining data from unlabelled logs: real dialogues with some responses or whole
turns swapped in from other dialogues; the model learns to tell the swapped turns from the real
ones, which needs exactly what the labels need (does this response fit this request, does this turn
belong here)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from models_app.ml.data import DialogueExample, TurnInput


def corrupt(
    examples: Sequence[DialogueExample], swap_rate: float, rng: random.Random
) -> tuple[list[DialogueExample], list[list[int]]]:
    """Copies of ``examples`` (inputs only) with turns swapped at ``swap_rate``, and 1 per swapped turn.

    Half the swaps replace only the response (the request stays, the answer no longer fits it), half
    the whole turn (an utterance from another conversation).
    """
    pool: list[TurnInput] = [turn for example in examples for turn in example.turns]
    corrupted, labels = [], []
    for example in examples:
        turns, flags = [], []
        for turn in example.turns:
            if len(pool) > 1 and rng.random() < swap_rate:
                other = rng.choice(pool)
                if rng.random() < 0.5 and other.response and other.response != turn.response:
                    turns.append(replace(turn, response=other.response))
                    flags.append(1)
                    continue
                if other.utterance != turn.utterance:
                    turns.append(replace(other, seconds_since_previous=turn.seconds_since_previous))
                    flags.append(1)
                    continue
            turns.append(turn)
            flags.append(0)
        corrupted.append(
            DialogueExample(
                turns=turns, device_type=example.device_type, has_screen=example.has_screen, key=example.key
            )
        )
        labels.append(flags)
    return corrupted, labels
