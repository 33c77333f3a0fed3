"""Plausibility of the heard words: how likely a person is to say them, by a word language model
learned from real requests (the NLU corpora and SGD's user turns).

A recogniser's slip leaves words nobody says in that order ("set an alarm for seven thirty am
importantly", "play the latest album by imagine dragon's"), and a human annotator hears it at once. The
model is nltk's interpolated Witten-Bell trigram model (``nltk.lm``): it scores a token in 0.04 ms on
one core, where nltk's Kneser-Ney took 12 ms (measured on 12,000 HWU64 and SLURP requests), which
would cost the dialogues recipe most of an hour per scoring pass.

The model is kept as its training sentences, one normalised request a line in a gzip file
(``plausibility.txt.gz`` in a checkpoint directory, and the cached artefact the recipe builds once),
and refitted on load: nltk has no file format of its own, and a text file loads without unpickling.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nltk.lm import WittenBellInterpolated
from nltk.lm.preprocessing import padded_everygram_pipeline

PLAUSIBILITY_FILE = "plausibility.txt.gz"
ORDER = 3
# [scored, mean log-probability, lowest log-probability, share of unknown words], each about [0, 1].
PLAUSIBILITY_SIZE = 4
# Log2-probabilities are divided by this to sit in about [-1, 0]; floors keep unknown words finite.
_SCALE = 20.0
_FLOOR = -20.0
_WORD = re.compile(r"[\w']+")
_BEGIN, _END = "<s>", "</s>"


def words(text: str) -> list[str]:
    """The words a request is scored on: lower case, punctuation dropped, apostrophes kept."""
    return _WORD.findall(text.casefold())


@dataclass(frozen=True)
class Plausibility:
    """How a person would say these words: mean and lowest log2-probability per word, the share of
    words the model never saw, and the least likely word (what a reviewer reads)."""

    mean: float
    lowest: float
    unknown_share: float
    least_likely: str | None

    def features(self) -> list[float]:
        return [1.0, self.mean / -_FLOOR, self.lowest / -_FLOOR, self.unknown_share]


NO_PLAUSIBILITY = [0.0, 0.0, 0.0, 0.0]


class WordModel:
    """A trigram model of requests; ``score`` rates an utterance, ``sentences`` are what it learnt."""

    def __init__(self, sentences: Iterable[str]) -> None:
        kept = sorted({" ".join(words(sentence)) for sentence in sentences} - {""})
        if not kept:
            raise ValueError("a word model needs at least one sentence with words")
        self.sentences = kept
        tokenised = [sentence.split() for sentence in kept]
        ngrams, vocabulary = padded_everygram_pipeline(ORDER, tokenised)
        self.model = WittenBellInterpolated(ORDER)
        self.model.fit(ngrams, vocabulary)
        self.vocabulary = self.model.vocab

    @classmethod
    def load(cls, path: Path) -> WordModel:
        """The model of a file written by ``save`` (a FileNotFoundError names the path)."""
        with gzip.open(Path(path), "rt", encoding="utf-8") as source:
            return cls(line.rstrip("\n") for line in source)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # mtime=0: the same sentences give the same bytes.
        with (
            path.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed,
        ):
            packed.write(("\n".join(self.sentences) + "\n").encode("utf-8"))

    def score(self, text: str) -> Plausibility | None:
        """The utterance's plausibility; None for one without words (nothing to judge)."""
        tokens = words(text)
        if not tokens:
            return None
        padded = [_BEGIN] * (ORDER - 1) + tokens + [_END]
        scores: list[float] = []
        unknown = 0
        least: tuple[float, str] | None = None
        for position in range(ORDER - 1, len(padded)):
            word = padded[position]
            value = self.model.logscore(word, padded[position - ORDER + 1 : position])
            value = max(value, _FLOOR) if math.isfinite(value) else _FLOOR
            scores.append(value)
            if word != _END:
                unknown += int(word not in self.vocabulary)
                if least is None or value < least[0]:
                    least = (value, word)
        return Plausibility(
            mean=sum(scores) / len(scores),
            lowest=min(scores),
            unknown_share=unknown / len(tokens),
            least_likely=least[1] if least else None,
        )

    def features(self, text: str) -> list[float]:
        scored = self.score(text)
        return NO_PLAUSIBILITY if scored is None else scored.features()
