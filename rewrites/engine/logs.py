"""What the logs say about requests: each goal's first attempt with its outcome and the wording that
served the person, the rephrase chains, each person's served wordings, and the device it was said on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    failure_point: str = ""  # the label's, where there is one
    time: str = ""  # when it was said (ISO 8601): a person's history is what came before
    # What it meant, as its labels read it: the intent and the (slot type, value) pairs, sorted.
    meaning: tuple[str, tuple[tuple[str, str], ...]] | None = None


@dataclass(frozen=True)
class Reading:
    """A request turn as its labels read it: what it meant (``meaning.carrier_of``) and whether the
    assistant read it right."""

    carrier: str  # the words with each slot value as ``{type}``
    intent: str
    values: tuple[tuple[str, str], ...]  # (slot type, value as said), in the words' order
    served: bool
    misread: bool  # its failure point is the NLU's
    user_key: str = ""
    dialogue_id: str = ""


@dataclass(frozen=True)
class Logs:
    attempts: list[Attempt]
    chains: list[Chain]
    preferences: dict[str, list[str]]  # user -> the values they said they like (normalised)
    readings: list[Reading] = field(default_factory=list)


def logged_attempts(lines: Iterable[Mapping[str, Any]]) -> Logs:
    """Each goal's first attempt (what was said, by whom, whether it failed, and the wording that
    served the person: the turn's ``rewrite`` label, else the end of its rephrase chain when that was
    served), every rephrase chain (single requests with a known outcome included), and each person's
    stated likes (``preferences`` labels), read in one pass."""
    attempts: list[Attempt] = []
    all_chains: list[Chain] = []
    readings: list[Reading] = []
    preferences: defaultdict[str, dict[str, None]] = defaultdict(dict)
    for data in lines:
        labels = data.get("labels") or {}
        turn_labels = labels.get("turns") or {}
        user_key = str(data.get("user_id") or "")
        readings += dialogue_readings(data)
        for label in turn_labels.values():
            for stated in (label or {}).get("preferences") or []:
                value = normalise(str(stated.get("value") or "")) if isinstance(stated, Mapping) else ""
                if user_key and value and stated.get("polarity", "like") == "like":
                    preferences[user_key][value] = None
        chains = dialogue_chains(data, single_turns=True)
        all_chains += chains
        ends = {chain.turn_ids[0]: chain for chain in chains if len(chain.turn_ids) > 1}
        turns = {str(turn.get("id")): turn for turn in data.get("turns") or []}
        utterance_of = {turn_id: str(turn.get("utterance") or "") for turn_id, turn in turns.items()}
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
            read = carrier_of(utterance_of[first], label.get("slots") or [])
            intent = label.get("intent")
            meant = (intent, tuple(sorted(read[1]))) if read is not None and isinstance(intent, str) else None
            attempts.append(
                Attempt(
                    normalise(utterance_of[first]),
                    user_key,
                    failed,
                    served_by,
                    str(data.get("id") or ""),
                    str(first),
                    device_kind(data.get("device")),
                    str(label.get("failure_point") or ""),
                    str((turns.get(first) or {}).get("timestamp") or data.get("started_at") or ""),
                    meant,
                )
            )
    likes = {user: list(values) for user, values in preferences.items()}
    return Logs(attempts, all_chains, likes, readings)


def dialogue_readings(dialogue: Mapping[str, Any]) -> list[Reading]:
    """Every turn with an intent label, a known outcome and slot spans that fit its words, as a
    ``Reading``."""
    found = []
    turn_labels = ((dialogue.get("labels") or {}).get("turns")) or {}
    for turn in dialogue.get("turns") or []:
        label = turn_labels.get(str(turn.get("id"))) or {}
        intent, defect = label.get("intent"), label.get("defect")
        if not isinstance(intent, str) or not intent or defect is None:
            continue
        read = carrier_of(str(turn.get("utterance") or ""), label.get("slots") or [])
        if read is not None:
            misread = label.get("failure_point") == "nlu"
            user, dialogue_id = str(dialogue.get("user_id") or ""), str(dialogue.get("id") or "")
            found.append(Reading(read[0], intent, read[1], not defect, misread, user, dialogue_id))
    return found


def carrier_of(text: str, slots: Any) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """The words with each labelled slot value as ``{type}``, and the values (normalised, in order);
    None when a span does not fit the text or spans overlap."""
    parts: list[str] = []
    values: list[tuple[str, str]] = []
    position = 0
    spans = [s for s in slots if isinstance(s, Mapping)]
    for slot in sorted(spans, key=lambda s: (s.get("start", -1), s.get("end", -1))):
        start, end, kind = slot.get("start"), slot.get("end"), slot.get("type")
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(kind, str)):
            return None
        if start < position or end > len(text) or end <= start:
            return None
        value = normalise(text[start:end])
        if not value:
            return None
        parts += [normalise(text[position:start]), "{" + kind + "}"]
        values.append((kind, value))
        position = end
    parts.append(normalise(text[position:]))
    return " ".join(part for part in parts if part), tuple(values)


def served_histories(chains: Iterable[Chain]) -> dict[str, dict[str, int]]:
    """Each person's wordings that served them, with how often."""
    histories: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for chain in chains:
        if chain.succeeded and chain.user_key and chain.utterances[-1]:
            histories[str(chain.user_key)][chain.utterances[-1]] += 1
    return {user: dict(counts) for user, counts in histories.items()}
