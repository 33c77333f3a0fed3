"""The simulated assistant's reading of words: the same words always read the same way.

A deployed assistant is a fixed program: said the same way, a request is read the same way every
time, and what it gets wrong it gets wrong again. Two of its stages are therefore functions of the
words here, not dice:

- **NLU** reads a request by its *carrier*, the wording around the slot values with the words it can
  do without left out (function words, fillers and what they sound like: the ASR's slips never change
  a carrier). A carrier is misread for an intent or it is not, whatever the slot values, for everybody
  (``misreads``): over the carriers people use, the share misread is ``nlu_error_rate``.
- **Entity resolution** resolves a name to what the person meant the same way every time they name it
  so; it reads who is asking (their location, their history), so "springfield" can be right for one
  person and wrong for another (``misresolves``). Over the (person, entity) pairs, the share resolved
  wrongly is ``entity_error_rate``; named without doubt ("springfield missouri"), that times
  ``specific_entity_factor``.

The recogniser and the result stage stay random: noise in the room and a back end that fails now and
then do not depend on the wording. Because the reading is a function, a replay can ask the assistant
how it would have read any other words for the same request (``simulator.judge``).
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Sequence

from simulator.asr import FILLERS, FUNCTION_WORDS, Asr
from simulator.catalogues import Entity
from simulator.config import SimConfig
from simulator.nlu import WeakNlu
from simulator.pools import Pools, Wording

_SCALE = float(2**64)
_NOT_WORD = re.compile(r"[^\w']+")


def draw(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by ``parts``: the same on every machine and run (BLAKE2b, not
    Python's salted ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def silent_words(asr: Asr) -> frozenset[str]:
    """Words the NLU reads past: function words, fillers, and the words a function word sounds like
    (what a slip may turn "to" into)."""
    words = set(FUNCTION_WORDS) | set(FILLERS)
    for word in FUNCTION_WORDS:
        words.update(asr.homophones(word))
    return frozenset(words)


def words(text: str) -> list[str]:
    """Words as the assistant's reading sees them: lower case, no punctuation but apostrophes."""
    return _NOT_WORD.sub(" ", text.casefold()).split()


@functools.lru_cache(maxsize=1 << 16)
def _token_words(token: str) -> tuple[str, ...]:
    """``words`` of one heard token, cached: the vocabulary is small and carriers read it all the time."""
    return tuple(words(token))


def carrier(
    tokens: Sequence[str], tags: Sequence[int], slot_types: Sequence[str], silent: frozenset[str]
) -> str:
    """The words the NLU reads: each slot value as ``{type}``, the rest without the silent words.
    ``tags``: each token's slot index (-1 outside slots), ``slot_types``: each slot index's type."""
    parts: list[str] = []
    last = -1
    for token, tag in zip(tokens, tags, strict=True):
        if tag >= 0:
            if tag != last:
                parts.append("{" + slot_types[tag] + "}")
        else:
            parts.extend(word for word in _token_words(token) if word not in silent)
        last = tag
    return " ".join(parts)


def leaves_no_doubt(tokens: Sequence[str], entity: Entity, slot_types: Sequence[str]) -> bool:
    """Whether the words name ``entity`` without doubt: its specific form ("springfield missouri",
    "the chill hits playlist") or its resolved value ("springfield mo") is in them where either says
    more than the plain name, or a city comes with its state."""
    if entity.kind == "city" and "state" in slot_types:
        return True
    plain = entity.spoken.split()
    for form in (entity.specific.split(), words(entity.value)):
        width = len(form)
        if form != plain and any(list(tokens[i : i + width]) == form for i in range(len(tokens) - width + 1)):
            return True
    return False


def wording_carrier(wording: Wording, silent: frozenset[str]) -> str:
    tokens: list[str] = []
    tags: list[int] = []
    for index, run in enumerate(wording.literals):
        tokens.extend(run)
        tags.extend([-1] * len(run))
        if index < len(wording.slot_types):
            tokens.append("")
            tags.append(index)
    return carrier(tokens, tags, wording.slot_types, silent)


class Assistant:
    """The simulated assistant's fixed reading (see the module's docstring); built once per run."""

    def __init__(self, config: SimConfig, pools: Pools, asr: Asr, nlu: WeakNlu) -> None:
        self.seed = config.assistant_seed
        self.nlu_error_rate = config.nlu_error_rate
        self.entity_error_rate = config.entity_error_rate
        self.specific_entity_factor = config.specific_entity_factor
        self.result_error_rate = config.result_error_rate
        self.nlu = nlu
        self.silent = silent_words(asr)
        # Every carrier of the pools with the intents it is a wording of: what the assistant was built
        # to read.
        self.carriers: dict[str, set[str]] = {}
        for intent in sorted(pools.by_intent_sig):
            for wordings in pools.by_intent_sig[intent].values():
                for wording in wordings:
                    self.carriers.setdefault(wording_carrier(wording, self.silent), set()).add(intent)

    def knobs(self) -> dict[str, float | int]:
        """Which assistant this is and the rates its reading was drawn at, for a replay that asks it
        again."""
        return {
            "seed": self.seed,
            "nlu_error_rate": self.nlu_error_rate,
            "entity_error_rate": self.entity_error_rate,
            "specific_entity_factor": self.specific_entity_factor,
            "result_error_rate": self.result_error_rate,
        }

    def misreads(self, intent: str, key: str) -> bool:
        """Whether the NLU reads the carrier ``key`` as another intent than ``intent``."""
        return draw(self.seed, "nlu", intent, key) < self.nlu_error_rate

    def reads(self, intent: str, key: str) -> bool:
        """Whether the NLU reads words whose carrier is ``key`` as ``intent``: a carrier it was built
        for (every wording of the corpora; slips do not change one), as its own intents unless it
        misreads it. Words it was not built for, a mis-heard content word among them, it does not read
        as the request: the pipeline acts on them as a wrong intent or no match."""
        intents = self.carriers.get(key)
        return intents is not None and intent in intents and not self.misreads(intent, key)

    def misreading(self, intent: str, key: str, text: str) -> str:
        """The intent a misread carrier is taken for: one of the classifier's best wrong readings,
        the same one every time."""
        return self.nlu.misreading(text, intent, random.Random(draw(self.seed, "misreading", intent, key)))

    def misresolves(self, user: str, meant: str, specific: bool) -> bool:
        """Whether the resolver takes what ``user`` said for another entity than ``meant``;
        ``specific``: the words (``leaves_no_doubt``), or what the assistant was taught, leave no doubt."""
        rate = self.entity_error_rate * (self.specific_entity_factor if specific else 1.0)
        return draw(self.seed, "entity", user, meant, specific) < rate

    def backend_fails(self, dialogue_id: str, turn_id: str) -> bool:
        """Whether the result stage would have failed for a turn that never reached it: what the back
        end did at that moment, drawn once per turn."""
        return draw(self.seed, "result", dialogue_id, turn_id) < self.result_error_rate
