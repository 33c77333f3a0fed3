"""Preference statements ("i'm a warriors fan", "we're in austin texas"): which turns state one, and
what they state, read from the intent and slot heads.

Training data says both halves. The turns whose gold carries ``preferences`` name the intents that
state preferences ("preference_teach", "preference_answer"); a gold preference whose span lies on a
gold slot says which slot type carries which (domain, key): ``sport_team`` is ("sports", "team"). Both
are learned by ``preference_inventories`` and kept in the model's inventories, so at prediction time a
turn read as a stating intent yields one preference per slot of a mapped type, its value the slot's
value, with the lower of the two heads' confidences. Negation ("i don't like the jets") makes a
dislike: the simulator and the public corpora have too few dislikes to learn it from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from models_app.ml.data import DialogueExample, Predicted, Span, StatedPreference

# Inventory names (lists of strings, as every inventory is).
STATING_INTENTS = "preference_intents"
SLOT_KEYS = "preference_slots"  # "slot_type\tdomain\tkey"
NEGATIONS = frozenset({"not", "don't", "dont", "never", "hate", "dislike", "can't", "cannot"})
_WORD = re.compile(r"[\w']+")


def _overlaps(preference: StatedPreference, span: Span) -> bool:
    if preference.start is None or preference.end is None:
        return False
    return preference.start < span.end and span.start < preference.end


def preference_inventories(examples: Sequence[DialogueExample]) -> dict[str, list[str]]:
    """The stating intents and the slot type -> (domain, key) map of the training gold; empty lists
    when no example has preference gold (the model then states no preferences)."""
    intents: set[str] = set()
    pairs: Counter[tuple[str, str, str]] = Counter()
    for example in examples:
        for targets in example.targets or ():
            if not targets.preferences:
                continue
            if targets.intent is not None:
                intents.add(targets.intent)
            for preference in targets.preferences:
                for span in targets.slots or ():
                    if _overlaps(preference, span):
                        pairs[(span.type, preference.domain, preference.key)] += 1
    # One (domain, key) per slot type: the most frequent, ties broken by name for a stable rerun.
    best: dict[str, tuple[int, str, str]] = {}
    for (slot_type, domain, key), count in sorted(pairs.items()):
        if slot_type not in best or count > best[slot_type][0]:
            best[slot_type] = (count, domain, key)
    return {
        STATING_INTENTS: sorted(intents),
        SLOT_KEYS: [f"{slot_type}\t{domain}\t{key}" for slot_type, (_, domain, key) in sorted(best.items())],
    }


def is_negated(text: str) -> bool:
    """Whether the words say the opposite of liking ("i don't like", "not the jets")."""
    return any(word in NEGATIONS for word in _WORD.findall(text.casefold()))


def stated_preferences(
    utterance: str, intent: Predicted, slots: Predicted, inventories: dict[str, list[str]]
) -> Predicted:
    """The turn's preferences as a Predicted list: empty unless the intent states preferences; the
    confidence is that of the decision (stating or not, and the slots when it states)."""
    mapping = {}
    for line in inventories.get(SLOT_KEYS, []):
        slot_type, domain, key = line.split("\t")
        mapping[slot_type] = (domain, key)
    if not mapping or intent.value not in set(inventories.get(STATING_INTENTS, [])):
        return Predicted([], intent.confidence)
    found = []
    said_before = 0  # negation reaches from the previous slot to this one: "not the jets but the bulls"
    for span in sorted(slots.value, key=lambda s: s.start):
        window = utterance[said_before : span.start]
        said_before = span.end
        if span.type not in mapping:
            continue
        domain, key = mapping[span.type]
        value = str(span.value) if span.value not in (None, "") else utterance[span.start : span.end]
        polarity = "dislike" if is_negated(window) else "like"
        found.append(StatedPreference(domain, key, value, polarity, span.start, span.end))
    return Predicted(found, min(intent.confidence, slots.confidence))
