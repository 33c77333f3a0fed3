"""Rephrase chains: a request that failed, the person's rephrases of it, and how it ended.

A chain follows ``rephrase_of`` links (gold, reviewed, or a model's) within one dialogue: each turn
that restates an earlier one continues that turn's chain, provided it comes within ``window`` seconds.
A chain *succeeds* when its last turn was served (not a defect, failure point ``none``); its earlier
turns are the failures that the last one rewrites.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models_app.ml.format_adapter import parse_time

_NOT_WORD = re.compile(r"[^\w']+")
DEFAULT_WINDOW = 300.0  # seconds between a turn and its rephrase


def normalise(utterance: str) -> str:
    """The state an utterance stands for: lower case, punctuation gone, spaces single."""
    return " ".join(_NOT_WORD.sub(" ", utterance.casefold()).split())


@dataclass(frozen=True)
class Chain:
    dialogue_id: str
    user_key: str | None
    turn_ids: tuple[str, ...]
    utterances: tuple[str, ...]  # normalised, in order
    succeeded: bool

    @property
    def transitions(self) -> list[tuple[str, str]]:
        return list(itertools.pairwise(self.utterances))


def _served(label: Mapping[str, Any]) -> bool | None:
    """Whether the turn served the person: defect false or failure point none; None when unknown."""
    if label.get("defect") is not None:
        return not bool(label["defect"])
    if label.get("failure_point") is not None:
        return bool(label["failure_point"] == "none")
    return None


def dialogue_chains(
    dialogue: Mapping[str, Any], window: float = DEFAULT_WINDOW, *, single_turns: bool = False
) -> list[Chain]:
    """The rephrase chains of one FORMAT.md dialogue (chains of two turns or more); with
    ``single_turns``, also each request said once whose outcome is known (how often an utterance
    serves people as it is, which a rewrite has to beat)."""
    turns = dialogue.get("turns") or []
    turn_labels: Mapping[str, Any] = ((dialogue.get("labels") or {}).get("turns")) or {}
    ids = [str(turn.get("id") or f"t{position + 1}") for position, turn in enumerate(turns)]
    position_of = {turn_id: position for position, turn_id in enumerate(ids)}
    chain_of: dict[int, list[int]] = {}  # position -> the positions of its chain so far
    chains: list[list[int]] = []
    for position, turn_id in enumerate(ids):
        target = (turn_labels.get(turn_id) or {}).get("rephrase_of")
        source = position_of.get(target) if isinstance(target, str) else None
        if source is not None and source < position and source in chain_of:
            earlier, later = (
                parse_time(turns[source].get("timestamp")),
                parse_time(turns[position].get("timestamp")),
            )
            if earlier is None or later is None or (later - earlier).total_seconds() <= window:
                chain = chain_of[source]
                if chain[-1] == source:  # a rephrase continues the chain from its end only
                    chain.append(position)
                    chain_of[position] = chain
                    continue
        chain_of[position] = [position]
        chains.append(chain_of[position])
    found = []
    for members in chains:
        last = ids[members[-1]]
        served = _served(turn_labels.get(last) or {})
        if len(members) < 2 and not (single_turns and served is not None):
            continue
        found.append(
            Chain(
                dialogue_id=str(dialogue.get("id")),
                user_key=dialogue.get("user_id"),
                turn_ids=tuple(ids[m] for m in members),
                utterances=tuple(normalise(str(turns[m].get("utterance") or "")) for m in members),
                succeeded=bool(served),
            )
        )
    return found
