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


# ---------------------------------------------------------------------------------------------------
# Preferences about anything: a statement head and a value-span tagger
# ---------------------------------------------------------------------------------------------------
# The model says, per turn, whether it states a preference and under which open key ("movie", "genre",
# "person", "team", "cuisine", ...), and tags the words of the value, whether or not any catalogue
# knows it. Trained on every source that marks statements (real spoken preference talk, the
# simulator); read at decoding before the catalogue path above, which it supersedes.

# Inventory names. "preference_keys" starts with NO_STATEMENT; "preference_key_domains" is "key\tdomain".
STATEMENT_KEYS = "preference_keys"
KEY_DOMAINS = "preference_key_domains"
NO_STATEMENT = "none"
# The value tagger's BIO tags over word pieces (one span type: the value).
VALUE_TAGS = ("O", "B-value", "I-value")
VALUE_TYPE = "value"


def statement_inventories(examples: Sequence[DialogueExample]) -> dict[str, list[str]]:
    """The open keys the training gold states, each with its most frequent domain; empty when no
    example marks statements (the model then has no statement head)."""
    domains: dict[str, Counter[str]] = {}
    marked = False
    for example in examples:
        for targets in example.targets or ():
            if targets.preferences is None:
                continue
            marked = True
            for preference in targets.preferences:
                domains.setdefault(preference.key, Counter())[preference.domain] += 1
    if not marked:
        return {}
    keys = sorted(domains)
    return {
        STATEMENT_KEYS: [NO_STATEMENT, *keys],
        KEY_DOMAINS: [f"{key}\t{domains[key].most_common(1)[0][0]}" for key in keys],
    }


def states_preferences(example: DialogueExample) -> bool:
    """Whether the dialogue's source marks preference statements: then a labelled turn without any
    states none (FORMAT.md: "an empty list, or no field, means the turn states none"). A source that
    marks none (an NLU corpus, a rated chat) leaves its turns unknown, not negative."""
    return any(targets.preferences is not None for targets in example.targets or ())


def statement_target(preferences: list[StatedPreference] | None, index: dict[str, int]) -> int | None:
    """The statement head's class: NO_STATEMENT for none, else the first statement's key; None when
    unknown or the key is not in the inventory."""
    if preferences is None:
        return None
    if not preferences:
        return index[NO_STATEMENT]
    return index.get(preferences[0].key)


def value_spans(preferences: list[StatedPreference] | None) -> list[Span] | None:
    """The value spans to tag: none for a turn that states none; None (no gold) when a statement has
    no span (its words are not known) or the turn is unknown."""
    if preferences is None:
        return None
    spans = []
    for preference in preferences:
        if preference.start is None or preference.end is None:
            return None
        spans.append(Span(preference.start, preference.end, VALUE_TYPE, preference.value))
    return spans


def open_preferences(
    utterance: str,
    statement: Predicted,
    values: list[Span],
    catalogued: Predicted,
    inventories: dict[str, list[str]],
) -> Predicted:
    """The turn's preferences from the statement head (``statement.value``: a key or NO_STATEMENT)
    and the value tagger: one per tagged value, under the key and its domain; where the words were
    not tagged, the catalogue path's values (``catalogued``), else the utterance as the person said it.
    Polarity: a dislike where the words before the value negate."""
    key = str(statement.value)
    if key == NO_STATEMENT:
        return Predicted([], statement.confidence)
    domain_of = dict(line.split("\t", 1) for line in inventories.get(KEY_DOMAINS, []))
    domain = domain_of.get(key, key)
    found = []
    said_before = 0
    for span in sorted(values, key=lambda s: s.start):
        polarity = "dislike" if is_negated(utterance[said_before : span.start]) else "like"
        found.append(
            StatedPreference(domain, key, utterance[span.start : span.end], polarity, span.start, span.end)
        )
        said_before = span.end
    if not found and catalogued.value:
        found = [StatedPreference(domain, key, p.value, p.polarity, p.start, p.end) for p in catalogued.value]
    if not found and utterance.strip():
        polarity = "dislike" if is_negated(utterance) else "like"
        found = [StatedPreference(domain, key, utterance.strip(), polarity)]
    return Predicted(found, statement.confidence)
