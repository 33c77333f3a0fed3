"""Rewriting by meaning: a request likely to fail, said in the wording of its meaning that the
assistant reads best, with the person's own slot values.

When the words were heard right and read wrong (an NLU failure), no served string near them helps:
what helps is another wording of the same meaning that the assistant reads well. The labels say what
each logged request meant (its intent and slot values, as the label model or a reviewer read them), so
every request has a *carrier*: its words with each slot value as ``{type}`` ("play {song} by
{artist}"). Over the logs, each carrier of a meaning was read right so many times and misread so many.

Everything that needs the label model happens when the rewriter is built: the carriers, their counts,
and for each meaning (an intent with its slot types) the served carriers best read first. A request
needs only lookups: the carriers seen misread whose first and last words fit it, each tried as a
pattern (its slot values are the words in the gaps), then the best-read carrier of the same meaning
filled with those values. The ranker scores the result beside every other candidate, from the
carriers' counts (``FEATURES``), and the same threshold decides.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rewrites.engine.logs import Reading

SLOT = re.compile(r"^\{(\w+)\}$")
GAP = r"(\S+(?: \S+){0,5})"  # a slot value: one to six words
TARGETS_PER_MEANING = 3
MAX_MATCHES = 4  # carriers tried per request, most often misread first
PRIOR = 2.0  # pseudo-readings pulling a carrier's misread rate toward the overall one
READ_WELL = 0.8  # a carrier read right this often (Laplace: three times out of three) reads well

FEATURES = ("meaning", "meaning_source_misread", "meaning_target_read", "meaning_target_served", "meanings")
Meaning = tuple[str, tuple[tuple[str, str], ...]]  # intent, (slot type, value) sorted


@dataclass(frozen=True)
class CarrierCounts:
    said: int
    served: int
    misread: int

    def read_rate(self) -> float:
        """Of the times the assistant got as far as reading it, how often it read it right (Laplace)."""
        return (self.served + 1.0) / (self.served + self.misread + 2.0)


@dataclass(frozen=True)
class MeaningMatch:
    """How a request was rewritten by meaning: which carrier it fit, which it was said in instead."""

    meaning: Meaning
    source: CarrierCounts
    target: CarrierCounts
    matches: int  # carriers the request fit (more: less sure which meaning it has)


def meaning_of(intent: str, values: Iterable[tuple[str, str]]) -> Meaning:
    return intent, tuple(sorted(values))


class MeaningIndex:
    """The carriers of the logs (see the module's docstring); built once, then only read."""

    def __init__(self, readings: Iterable[Reading], attempts_seen: int) -> None:
        counts: Counter[tuple[str, str]] = Counter()
        served: Counter[tuple[str, str]] = Counter()
        misread: Counter[tuple[str, str]] = Counter()
        said_as: defaultdict[str, Counter[Meaning]] = defaultdict(Counter)
        for reading in readings:
            key = (reading.carrier, reading.intent)
            counts[key] += 1
            served[key] += reading.served
            misread[key] += reading.misread
            if reading.served:
                said_as[_fill(reading.carrier, reading.values)][
                    meaning_of(reading.intent, reading.values)
                ] += 1
        self.attempts_seen = max(1, attempts_seen)
        self.counts = {key: CarrierCounts(n, served[key], misread[key]) for key, n in counts.items()}
        total = sum(c.said for c in self.counts.values())
        self.misread_rate = sum(c.misread for c in self.counts.values()) / total if total else 0.0
        # The meaning of every wording that served somebody: a candidate that means what the served
        # wording meant would have served them too (the ranker learns from that).
        self.served_meanings = {text: found.most_common(1)[0][0] for text, found in said_as.items()}
        by_meaning: defaultdict[tuple[str, tuple[str, ...]], list[tuple[str, CarrierCounts]]] = defaultdict(
            list
        )
        # Every carrier, by its first and last word (None: a slot), as a pattern.
        self.carriers: defaultdict[tuple[str | None, str | None], list[tuple[str, str, re.Pattern[str]]]] = (
            defaultdict(list)
        )
        for (carrier, intent), found in sorted(self.counts.items()):
            words = carrier.split()
            if not words:
                continue
            if found.served:
                by_meaning[(intent, _signature(words))].append((carrier, found))
            ends = (_literal(words[0]), _literal(words[-1]))
            self.carriers[ends].append((carrier, intent, _pattern(words)))
        self.targets = {
            meaning: sorted(options, key=lambda o: (-o[1].read_rate(), -o[1].served, o[0]))[
                :TARGETS_PER_MEANING
            ]
            for meaning, options in by_meaning.items()
        }

    def meaning(self, text: str) -> Meaning | None:
        """What a wording that served somebody meant."""
        return self.served_meanings.get(text)

    def fits(self, utterance: str, misread: bool = False) -> list[tuple[str, str, tuple[str, ...]]]:
        """The carriers (with their intent and slot values) the words fit, most often misread first;
        with ``misread``, only carriers the assistant was seen misreading."""
        words = utterance.split()
        if not words:
            return []
        found = []
        for ends in {(words[0], words[-1]), (words[0], None), (None, words[-1]), (None, None)}:
            for carrier, intent, pattern in self.carriers.get(ends, ()):
                if misread and not self.counts[(carrier, intent)].misread:
                    continue
                match = pattern.fullmatch(utterance)
                if match is not None:
                    found.append((carrier, intent, match.groups()))
        found.sort(key=lambda fit: (-self.counts[(fit[0], fit[1])].misread, fit[0], fit[1]))
        return found

    def understood(self, text: str) -> Meaning | None:
        """What words mean where the logs can tell: what they meant when they served somebody, else
        the meaning of a carrier they fit that the assistant reads well (``READ_WELL``)."""
        served = self.served_meanings.get(text)
        if served is not None:
            return served
        for carrier, intent, groups in self.fits(text):
            if self.counts[(carrier, intent)].read_rate() >= READ_WELL:
                return meaning_of(intent, zip(_types(carrier), groups, strict=True))
        return None

    def rewrites(self, utterance: str) -> list[tuple[str, MeaningMatch]]:
        """The request in the best-read wordings of each meaning it fits as a misread carrier."""
        fits = self.fits(utterance, misread=True)
        out: list[tuple[str, MeaningMatch]] = []
        for carrier, intent, groups in fits[:MAX_MATCHES]:
            types = _types(carrier)
            values = tuple(zip(types, groups, strict=True))
            source = self.counts[(carrier, intent)]
            for target, counts in self.targets.get((intent, tuple(sorted(types))), ()):
                if target == carrier:
                    continue
                text = _fill(target, values)
                if text != utterance:
                    out.append((text, MeaningMatch(meaning_of(intent, values), source, counts, len(fits))))
        return out

    def features(self, match: MeaningMatch | None) -> list[float]:
        if match is None:
            return [0.0, _log_odds(self.misread_rate), 0.0, 0.0, 0.0]
        source = match.source
        misread = (source.misread + PRIOR * self.misread_rate) / (source.said + PRIOR)
        return [
            1.0,
            _log_odds(misread),
            match.target.read_rate(),
            math.log1p(1000.0 * match.target.served / self.attempts_seen),
            float(match.matches),
        ]


def _literal(word: str) -> str | None:
    return None if SLOT.match(word) else word


def _types(carrier: str) -> list[str]:
    return [m.group(1) for m in map(SLOT.match, carrier.split()) if m]


def _signature(words: list[str]) -> tuple[str, ...]:
    return tuple(sorted(m.group(1) for m in map(SLOT.match, words) if m))


def _pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(" ".join(GAP if SLOT.match(word) else re.escape(word) for word in words))


def _fill(carrier: str, values: Iterable[tuple[str, str]]) -> str:
    """The carrier with the values put in, each type's values in order."""
    queue: defaultdict[str, list[str]] = defaultdict(list)
    for kind, value in values:
        queue[kind].append(value)
    words = []
    for word in carrier.split():
        found = SLOT.match(word)
        words.append(queue[found.group(1)].pop(0) if found and queue[found.group(1)] else word)
    return " ".join(words)


def _log_odds(rate: float) -> float:
    rate = min(max(rate, 1e-4), 1 - 1e-4)
    return math.log(rate / (1 - rate))
