"""Finding catalogue entities in what people say, and completing a reading with preferences.

Plain Python (no Django), so that the resolver's hot path is a dictionary lookup and a rapidfuzz scan
over a catalogue held in memory. Matching is fuzzy over the answer's word n-grams (a person answers
"oh definitely the golden state warriors!"), not a keyword list; one spoken name can name several
entities ("the giants"), and then every candidate is returned so the caller can ask or decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

_NOT_WORD = re.compile(r"[^\w]+")
_ARTICLES = frozenset({"the", "a", "an"})
# Fuzzy scores (0-100) from which an n-gram counts as saying an alias: high enough that "giants"
# does not match "gnats" but a dropped letter ("warrior") still does.
MATCH_SCORE = 88
# Choosing among names just offered needs less: the words only have to single one out.
CHOICE_SCORE = 70


def normalise(text: str) -> str:
    """Lower case, punctuation gone, leading articles dropped: "The Warriors!" -> "warriors"."""
    words = _NOT_WORD.sub(" ", text.casefold()).split()
    while words and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Entity:
    pk: int
    value: str
    aliases: tuple[str, ...] = ()
    tag: str = ""


@dataclass(frozen=True)
class Mention:
    """Where an answer names entities: the words, how well they match, and every entity they name."""

    text: str
    score: float
    entities: tuple[Entity, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.entities) > 1


@dataclass
class CatalogueIndex:
    entities: list[Entity]
    by_name: dict[str, list[Entity]] = field(init=False)
    longest: int = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {}
        for entity in self.entities:
            for name in {normalise(entity.value), *(normalise(alias) for alias in entity.aliases)}:
                if name and entity not in self.by_name.setdefault(name, []):
                    self.by_name[name].append(entity)
        self.longest = max((len(name.split()) for name in self.by_name), default=1)

    def exact(self, text: str) -> list[Entity]:
        """The entities whose value or an alias is ``text`` (normalised)."""
        return list(self.by_name.get(normalise(text), []))

    def find(self, text: str) -> Mention | None:
        """The best-matching mention in ``text``: longer n-grams win ties, so "new york giants" beats
        "giants"; None when nothing reaches MATCH_SCORE."""
        words = normalise(text).split()
        best: Mention | None = None
        names = list(self.by_name)
        for size in range(min(self.longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                gram = " ".join(words[start : start + size])
                found = process.extractOne(gram, names, scorer=fuzz.ratio, score_cutoff=MATCH_SCORE)
                if found is None:
                    continue
                name, score, _ = found
                if best is None or score > best.score:
                    best = Mention(gram, float(score), tuple(self.by_name[name]))
            if best is not None and best.score >= 99.5:
                break  # an exact mention of this length: shorter ones cannot do better
        return best


def choose(text: str, entities: Sequence[Entity], margin: float = 10.0) -> Entity | None:
    """Which of ``entities`` (a choice just offered) the answer picks: "new york" picks "New York
    Giants" over "San Francisco Giants". Words in common count (rapidfuzz's token-set ratio), and the
    best must lead the next by ``margin`` points; None when the answer does not decide."""
    said = normalise(text)
    if not said:
        return None
    scored = sorted(
        (
            (max(fuzz.token_set_ratio(said, normalise(name)) for name in (e.value, *e.aliases)), position)
            for position, e in enumerate(entities)
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < CHOICE_SCORE:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < margin:
        return None
    return entities[scored[0][1]]


@dataclass(frozen=True)
class Known:
    """One active preference, as the resolver reads it."""

    pk: int
    domain: str
    key: str
    value: str
    polarity: str
    resolved: bool = True  # False: kept as the person said it; no catalogue knows the value yet


@dataclass(frozen=True)
class Rule:
    intent: str
    slot_type: str
    domain: str
    key: str
    catalogue: str | None = None


@dataclass
class Resolution:
    intent: str | None
    slots: list[dict[str, Any]]
    # {"preference": pk, "slot_type", "action": filled|disambiguated, "value", "resolved", ...}
    applied: list[dict[str, Any]]


def resolve_reading(
    intent: str | None,
    slots: Sequence[dict[str, Any]],
    known: Iterable[Known],
    rules: Iterable[Rule],
    catalogues: dict[str, CatalogueIndex],
) -> Resolution:
    """Complete the assistant's reading with what the person taught it.

    For every rule of the intent: a missing slot is filled with the liked value of the rule's key,
    a value no catalogue knows as the person said it (``resolved: false`` on the slot says so); a
    slot whose value names several entities of the rule's catalogue ("springfield") takes the one the
    person likes, when it is among them. Slots the person said plainly are never overwritten."""
    likes = {(k.domain, k.key): k for k in known if k.polarity == "like"}
    completed = [dict(slot) for slot in slots]
    applied: list[dict[str, Any]] = []
    for rule in rules:
        if rule.intent != intent:
            continue
        preference = likes.get((rule.domain, rule.key))
        if preference is None:
            continue
        present = [slot for slot in completed if slot.get("type") == rule.slot_type]
        if not present:
            completed.append(
                {
                    "type": rule.slot_type,
                    "value": preference.value,
                    "source": "preference",
                    "resolved": preference.resolved,
                }
            )
            applied.append(
                {
                    "preference": preference.pk,
                    "slot_type": rule.slot_type,
                    "action": "filled",
                    "value": preference.value,
                    "resolved": preference.resolved,
                }
            )
            continue
        index = catalogues.get(rule.catalogue or "")
        if index is None:
            continue
        for slot in present:
            said = str(slot.get("value") or "")
            candidates = index.exact(said)
            if len(candidates) > 1 and preference.value in {c.value for c in candidates}:
                slot["value"] = preference.value
                slot["source"] = "preference"
                slot["resolved"] = True  # one of the catalogue's entries
                applied.append(
                    {
                        "preference": preference.pk,
                        "slot_type": rule.slot_type,
                        "action": "disambiguated",
                        "said": said,
                        "value": preference.value,
                        "resolved": True,
                        "candidates": [c.value for c in candidates],
                    }
                )
    return Resolution(intent=intent, slots=completed, applied=applied)
