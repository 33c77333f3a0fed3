"""Utterance pools: the corpora compiled into fillable wordings, indexed for fast goal and rephrase draws.

A Wording is a real utterance with its slot values cut out. A goal fixes the slot values once; every
attempt at the goal (the first request, a rephrase, a repeat) fills a wording with those same values,
so a rephrase is another real wording of the same request, not a paraphrase generated from nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from simulator.catalogues import Entity, slot_kind
from simulator.corpora import Utterance, domain_of
from simulator.templates import TEMPLATE_REQUESTS, TEMPLATE_SLOT_TYPES

# Dialogue-management intents: people use them to react, not as goals of their own.
REACTION_INTENTS = (
    "general_affirm",
    "general_confirm",
    "general_dontcare",
    "general_negate",
    "general_praise",
    "general_repeat",
    "general_commandstop",
    "general_explain",
)
MAX_TOKENS = 16  # longer SLURP lines are mostly dictation noise, not requests
_PUNCT = str.maketrans("", "", '.,!?;:"()')
# Corpus lines nobody says to an assistant: a crowd worker's template left in ("set generic calendar
# event for next saturday", "remove sample meeting", "how is weather on such and such day"), a code
# word ("turn_down speakers"), or a line cut off mid-phrase ("check the weather app to see if").
PLACEHOLDER_WORDS = frozenset({"generic", "sample", "placeholder", "xyz", "blah"})
PLACEHOLDER_PHRASES = (("such", "and", "such"), ("so", "and", "so"))
# Words a request cannot end with: the line was cut off.
DANGLING_ENDS = frozenset({"if", "the", "a", "an", "and", "my", "your"})


@dataclass(slots=True)
class Fill:
    """One slot value of a goal: what is said, what it resolves to, and the entity behind it if any."""

    text: str  # spoken form, as the person says it this time
    value: str  # the resolved value (catalogue value, or the text itself)
    entity: Entity | None = None  # set where the entity stage applies
    specific: bool = False  # the person said the disambiguating form


@dataclass(slots=True)
class Wording:
    intent: str
    domain: str
    source: str
    literals: tuple[tuple[str, ...], ...]  # token runs around the slots: len(slot_types) + 1 of them
    slot_types: tuple[str, ...]
    slot_kinds: tuple[str | None, ...]  # catalogue per slot, None to keep the corpus's own value
    originals: tuple[str, ...]  # the corpus's own slot texts
    signature: tuple[str, ...] = field(default=())  # sorted slot types: wordings that can swap

    def __post_init__(self) -> None:
        self.signature = tuple(sorted(self.slot_types))


def normalise(text: str) -> list[str]:
    """ASR 1-best style: lower case, no punctuation but apostrophes."""
    return text.lower().translate(_PUNCT).split()


def leftover(tokens: Sequence[str]) -> str | None:
    """Why a line (its words as they would be said) is a template leftover, or None when it is not."""
    for token in tokens:
        if token in PLACEHOLDER_WORDS or "_" in token:
            return f"placeholder {token!r}"
    for phrase in PLACEHOLDER_PHRASES:
        size = len(phrase)
        if any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1)):
            return f"placeholder {' '.join(phrase)!r}"
    if tokens and tokens[-1] in DANGLING_ENDS:
        return f"cut off after {tokens[-1]!r}"
    return None


def compile_utterance(utt: Utterance) -> Wording | None:
    """The utterance as a fillable wording; None for a line no person would say (too long, empty, or a
    template leftover in the words that reach the logs: the literal text and the slot values kept as
    the corpus wrote them)."""
    literals: list[tuple[str, ...]] = []
    types: list[str] = []
    originals: list[str] = []
    pos = 0
    for start, end, slot_type, value in utt.slots:
        literals.append(tuple(normalise(utt.text[pos:start])))
        tokens = normalise(value)
        if not tokens:
            return None
        types.append(slot_type)
        originals.append(" ".join(tokens))
        pos = end
    literals.append(tuple(normalise(utt.text[pos:])))
    n_tokens = sum(len(run) for run in literals) + sum(len(o.split()) for o in originals)
    if n_tokens == 0 or n_tokens > MAX_TOKENS:
        return None
    kinds = tuple(slot_kind(t, utt.intent) for t in types)
    said: list[str] = list(literals[0])
    for index, run in enumerate(literals[1:]):
        # A catalogue's value replaces a swapped slot; a kept one is said as the corpus wrote it.
        said.extend(originals[index].split() if kinds[index] is None else ["<slot>"])
        said.extend(run)
    if leftover(said) is not None:
        return None
    return Wording(utt.intent, utt.domain, utt.source, tuple(literals), tuple(types), kinds, tuple(originals))


def compile_template(intent: str, text: str) -> Wording:
    """`{team}` fields become slots of the matching type, filled from the catalogue of that name."""
    literals: list[tuple[str, ...]] = []
    types: list[str] = []
    kinds: list[str | None] = []
    rest = text
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        literals.append(tuple(before.split()))
        types.append(TEMPLATE_SLOT_TYPES[name])
        kinds.append(name)
    literals.append(tuple(rest.split()))
    return Wording(
        intent,
        domain_of(intent),
        "template",
        tuple(literals),
        tuple(types),
        tuple(kinds),
        tuple("" for _ in types),
    )


def realise(wording: Wording, fills: dict[str, list[Fill]]) -> tuple[list[str], list[int], list[Fill]]:
    """Fill a wording: the tokens, each token's slot index (-1 outside slots), and the slot fills in order.

    Slot values come from the goal (`fills`, by slot type, in order of appearance), so every wording of
    one goal carries the same values; a type the goal lacks keeps the corpus's own text.
    """
    tokens: list[str] = list(wording.literals[0])
    tags: list[int] = [-1] * len(tokens)
    used: list[Fill] = []
    seen: dict[str, int] = {}
    for i, slot_type in enumerate(wording.slot_types):
        k = seen.get(slot_type, 0)
        seen[slot_type] = k + 1
        options = fills.get(slot_type)
        fill = (
            options[k] if options and k < len(options) else Fill(wording.originals[i], wording.originals[i])
        )
        words = fill.text.split()
        slot_index = len(used)
        used.append(fill)
        tokens.extend(words)
        tags.extend([slot_index] * len(words))
        run = wording.literals[i + 1]
        tokens.extend(run)
        tags.extend([-1] * len(run))
    return tokens, tags, used


class Pools:
    """Every wording, indexed by intent and slot signature; built once per run, read-only after."""

    def __init__(self, corpora: dict[str, list[Utterance]]) -> None:
        self.by_intent_sig: dict[str, dict[tuple[str, ...], list[Wording]]] = {}
        self.reactions: dict[str, list[Wording]] = {name: [] for name in REACTION_INTENTS}
        intents_by_corpus: dict[str, list[str]] = {}
        for corpus in sorted(corpora):
            names: list[str] = []
            for utt in corpora[corpus]:
                wording = compile_utterance(utt)
                if wording is None:
                    continue
                if utt.intent in self.reactions:
                    if not wording.slot_types:
                        self.reactions[utt.intent].append(wording)
                    continue
                self.by_intent_sig.setdefault(utt.intent, {}).setdefault(wording.signature, []).append(
                    wording
                )
                names.append(utt.intent)
            intents_by_corpus[corpus] = sorted(dict.fromkeys(names))
        for intent, texts in TEMPLATE_REQUESTS.items():
            for text in texts:
                wording = compile_template(intent, text)
                self.by_intent_sig.setdefault(intent, {}).setdefault(wording.signature, []).append(wording)

        # A goal seed needs a second wording with the same slots, so that it can be rephrased.
        self.seeds: dict[str, list[Wording]] = {}
        for intent in sorted(self.by_intent_sig):
            by_sig = self.by_intent_sig[intent]
            seeds = [w for sig in sorted(by_sig) if len(by_sig[sig]) >= 2 for w in by_sig[sig]]
            if seeds:
                self.seeds[intent] = seeds
        # Seeds by corpus, so that `corpus_weights` decides whose wordings open goals; rephrases may
        # come from any corpus, since all three speak one vocabulary (corpora.py).
        self.corpus_seeds: dict[str, dict[str, list[Wording]]] = {}
        for corpus, names in intents_by_corpus.items():
            own = {i: [w for w in self.seeds.get(i, []) if w.source == corpus] for i in names}
            self.corpus_seeds[corpus] = {i: ws for i, ws in own.items() if ws}
        self.goal_intents: dict[str, list[str]] = {
            corpus: sorted(seeds) for corpus, seeds in self.corpus_seeds.items()
        }
        for corpus, names in self.goal_intents.items():
            if not names:
                raise ValueError(f"corpus {corpus!r} has no intent with two wordings of the same slots")
        for name in ("general_negate", "general_praise"):
            if not self.reactions[name]:
                raise ValueError(f"no slot-free {name} utterances in the pools: HWU64 is needed")

    def alternatives(self, wording: Wording) -> list[Wording]:
        """Other wordings of the same intent with the same slot types."""
        return self.by_intent_sig[wording.intent][wording.signature]

    def implicit(self, intent: str) -> list[Wording]:
        """Slot-free wordings ("what's the weather", "play the game"), where preferences fill the gap."""
        return self.by_intent_sig.get(intent, {}).get((), [])

    def vocabulary(self) -> list[str]:
        words: dict[str, None] = {}
        for intent in sorted(self.by_intent_sig):
            for sig in sorted(self.by_intent_sig[intent]):
                for w in self.by_intent_sig[intent][sig]:
                    for run in w.literals:
                        for token in run:
                            words[token] = None
                    for original in w.originals:
                        for token in original.split():
                            words[token] = None
        return sorted(words)
