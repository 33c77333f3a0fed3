"""Word-level evidence that a request will fail and that a candidate fixes it.

A request that failed for the first time in the logs, a misheard one above all ("i d like to juan
frozen"), is new by definition: nothing about the utterance as a whole is known. Its words are: "juan"
is said far more often in requests that failed than in ones that worked, people who rephrased it
replaced it with "watch", and no wording that served anybody contains it. These statistics, learned
from the logs' first attempts and rephrase chains, let the ranker tell a request that will fail from
one that merely resembles a served wording, and a candidate that replaces the suspicious words from
one that changes good ones.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# A rephrase that changes more words than this is a new wording, not a correction of the old one:
# its word pairs say nothing about which word was misheard as which.
MAX_SUBSTITUTED_WORDS = 3
MAX_REPLACEMENTS = 3  # per word
MAX_CORRECTIONS = 6  # per request
PRIOR_WEIGHT = 2.0  # pseudo-requests by which a word's failure rate is pulled toward the overall one

FEATURES = (
    "request_failure",
    "removed_failure",
    "request_unseen",
    "removed_unseen",
    "substitution",
    "removed_words",
    "added_words",
)


class _Attempt(Protocol):
    @property
    def utterance(self) -> str: ...
    @property
    def failed(self) -> bool: ...


class _Chain(Protocol):
    @property
    def utterances(self) -> tuple[str, ...]: ...
    @property
    def succeeded(self) -> bool: ...


@dataclass
class WordEvidence:
    said: Counter[str] = field(default_factory=Counter)  # first attempts that contained the word
    failed: Counter[str] = field(default_factory=Counter)  # ... and failed
    served: Counter[str] = field(default_factory=Counter)  # served wordings that contain it
    substitutions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (said, rephrased as)
    failure_rate: float = 0.0
    attempts: int = 0
    # Each word people replaced when they rephrased, with what they replaced it by, most often first.
    replacements: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_logs(
        cls, attempts: Iterable[_Attempt], chains: Iterable[_Chain], served: Iterable[tuple[str, int]]
    ) -> WordEvidence:
        evidence = cls()
        total = failures = 0
        for attempt in attempts:
            words = set(attempt.utterance.split())
            evidence.said.update(words)
            total += 1
            if attempt.failed:
                failures += 1
                evidence.failed.update(words)
        evidence.failure_rate = failures / total if total else 0.0
        evidence.attempts = total
        for utterance, count in served:
            for word in set(utterance.split()):
                evidence.served[word] += count
        for chain in chains:
            if not chain.succeeded or len(chain.utterances) < 2:
                continue
            ending = chain.utterances[-1]
            for earlier in set(chain.utterances[:-1]):
                removed, added = word_changes(earlier, ending)
                if 0 < len(removed) <= MAX_SUBSTITUTED_WORDS and 0 < len(added) <= MAX_SUBSTITUTED_WORDS:
                    evidence.substitutions.update((r, a) for r in removed for a in added)
        by_word: dict[str, list[tuple[int, str]]] = {}
        for (said, replaced_by), count in evidence.substitutions.items():
            by_word.setdefault(said, []).append((-count, replaced_by))
        evidence.replacements = {
            said: [word for _, word in sorted(options)[:MAX_REPLACEMENTS]]
            for said, options in by_word.items()
        }
        return evidence

    def corrections(self, utterance: str, limit: int = MAX_CORRECTIONS) -> list[str]:
        """The request with one word replaced the way people replaced it when they rephrased, the
        most suspicious words first: candidates for a request nobody said before ("i d like to juan
        frozen" -> "i d like to watch frozen")."""
        words = utterance.split()
        suspicious = sorted(
            (position for position, word in enumerate(words) if word in self.replacements),
            key=lambda position: -self.word_failure(words[position]),
        )
        found: list[str] = []
        for position in suspicious:
            for replacement in self.replacements[words[position]]:
                corrected = " ".join([*words[:position], replacement, *words[position + 1 :]])
                if corrected != utterance and corrected not in found:
                    found.append(corrected)
                if len(found) >= limit:
                    return found
        return found

    def word_failure(self, word: str) -> float:
        """The word's failure rate, pulled toward the overall one when it was seldom said."""
        return (self.failed[word] + PRIOR_WEIGHT * self.failure_rate) / (self.said[word] + PRIOR_WEIGHT)

    def features(self, request: str, candidate: str) -> list[float]:
        words = request.split()
        removed, added = word_changes(request, candidate)
        substitution = max((self.substitutions[(r, a)] for r in removed for a in added), default=0)
        return [
            _log_odds(max((self.word_failure(w) for w in words), default=self.failure_rate)),
            _log_odds(max((self.word_failure(w) for w in removed), default=self.failure_rate)),
            _unseen_share(words, self.served),
            _unseen_share(removed, self.served),
            math.log1p(1000.0 * substitution / max(1, self.attempts)),  # per thousand attempts
            float(len(removed)),
            float(len(added)),
        ]


def word_changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """The words ``after`` drops from ``before`` and the ones it adds, each once, in order."""
    kept_before, kept_after = set(after.split()), set(before.split())
    removed = list(dict.fromkeys(w for w in before.split() if w not in kept_before))
    added = list(dict.fromkeys(w for w in after.split() if w not in kept_after))
    return removed, added


def _log_odds(rate: float) -> float:
    rate = min(max(rate, 1e-4), 1 - 1e-4)
    return math.log(rate / (1 - rate))


def _unseen_share(words: Sequence[str], served: Counter[str]) -> float:
    return sum(served[w] == 0 for w in words) / len(words) if words else 0.0
