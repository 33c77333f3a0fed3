"""What the logs say about requests: each goal's first attempt with its outcome and the wording that
served the person, the rephrase chains, each person's served wordings, and the device it was said on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rewrites.engine.chains import Chain, dialogue_chains, normalise


def device_kind(device: Any) -> str:
    """The context the ranker reads from a FORMAT.md ``device``: its type, and whether it has a screen
    ("speaker", "speaker+screen"); "" when unknown."""
    if not isinstance(device, Mapping):
        return ""
    kind = str(device.get("type") or "")[:40]
    return f"{kind}+screen" if device.get("has_screen") else kind


@dataclass(frozen=True)
class Attempt:
    """A logged first attempt: what was said, by whom, whether it failed, what would have served."""

    utterance: str  # normalised
    user_key: str
    failed: bool
    served_by: str | None  # normalised; None when unknown or it did not fail
    dialogue_id: str = ""
    turn_id: str = ""
    device: str = ""  # device_kind of the dialogue's device


@dataclass(frozen=True)
class Logs:
    attempts: list[Attempt]
    chains: list[Chain]
    preferences: dict[str, list[str]]  # user -> the values they said they like (normalised)


def logged_attempts(lines: Iterable[Mapping[str, Any]]) -> Logs:
    """Each goal's first attempt (what was said, by whom, whether it failed, and the wording that
    served the person: the turn's ``rewrite`` label, else the end of its rephrase chain when that was
    served), every rephrase chain (single requests with a known outcome included), and each person's
    stated likes (``preferences`` labels), read in one pass."""
    attempts: list[Attempt] = []
    all_chains: list[Chain] = []
    preferences: defaultdict[str, dict[str, None]] = defaultdict(dict)
    for data in lines:
        labels = data.get("labels") or {}
        turn_labels = labels.get("turns") or {}
        user_key = str(data.get("user_id") or "")
        for label in turn_labels.values():
            for stated in (label or {}).get("preferences") or []:
                value = normalise(str(stated.get("value") or "")) if isinstance(stated, Mapping) else ""
                if user_key and value and stated.get("polarity", "like") == "like":
                    preferences[user_key][value] = None
        chains = dialogue_chains(data, single_turns=True)
        all_chains += chains
        ends = {chain.turn_ids[0]: chain for chain in chains if len(chain.turn_ids) > 1}
        utterance_of = {
            str(turn.get("id")): str(turn.get("utterance") or "") for turn in data.get("turns") or []
        }
        firsts = [goal["turns"][0] for goal in labels.get("goals") or [] if goal.get("turns")]
        for first in firsts or [chain.turn_ids[0] for chain in chains]:
            label = turn_labels.get(first) or {}
            if label.get("defect") is None or not utterance_of.get(first, "").strip():
                continue
            failed = bool(label["defect"])
            served_by = None
            if failed and label.get("rewrite"):
                served_by = normalise(str(label["rewrite"]))
            elif failed and first in ends and ends[first].succeeded:
                served_by = ends[first].utterances[-1]
            attempts.append(
                Attempt(
                    normalise(utterance_of[first]),
                    user_key,
                    failed,
                    served_by,
                    str(data.get("id") or ""),
                    str(first),
                    device_kind(data.get("device")),
                )
            )
    return Logs(attempts, all_chains, {user: list(values) for user, values in preferences.items()})


def served_histories(chains: Iterable[Chain]) -> dict[str, dict[str, int]]:
    """Each person's wordings that served them, with how often."""
    histories: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for chain in chains:
        if chain.succeeded and chain.user_key and chain.utterances[-1]:
            histories[str(chain.user_key)][chain.utterances[-1]] += 1
    return {user: dict(counts) for user, counts in histories.items()}
