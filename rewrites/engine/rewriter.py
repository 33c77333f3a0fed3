"""The online rewriter: a global layer over everyone's served utterances and a personal layer over the
person's own, each proposing candidates that one ranker scores; a calibrated score decides between
rewriting and passing the request through.

Candidates come from four places: the wordings that served the person before (personal layer), the
Markov rewrite of the request when people said it before (Ponnusamy et al.), the nearest served
utterances in the index, and the request with one word corrected the way people corrected that word
when they rephrased (global layer; it reaches requests nobody said before).

The ranker (scikit-learn's gradient-boosted trees) scores a (request, candidate) pair from edit
similarity (rapidfuzz), closeness in the index, how often the candidate served people and how often
the request itself served or failed, the Markov probabilities, and word-level evidence
(``evidence.py``): whether the request's words are ones that fail, and whether the candidate replaces
them the way people replaced them when they rephrased.

**Honest training.** A request seen in the logs knows its own outcome; a new one does not. Training on
features computed with the request's own outcome inside them teaches the ranker that a request that
never served is a failing one, which is false for every new request. So ``fitting.fit_rewriter`` cross-fits by
person: the logs are split into folds of people, and each fold's attempts are featurised against a
rewriter built from the *other* folds only (with the person's own history from their other
dialogues). The thresholds are then chosen on out-of-fold scores, so "wins at least 12 times as often
as it loses" is a held-out estimate, on people the ranker never saw.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from rewrites.engine import evidence as word_evidence
from rewrites.engine.chains import Chain
from rewrites.engine.evidence import WordEvidence
from rewrites.engine.logs import Attempt, served_histories
from rewrites.engine.markov import RephraseGraph, solve
from rewrites.engine.retrieval import Candidate, ServedIndex

FEATURES = (
    "ratio",
    "token_ratio",
    "similarity",
    "log_served",
    "log_request_served",
    "log_request_failed",
    "markov",
    "markov_stay",
    "personal",
    "device_share",
    *word_evidence.FEATURES,
)
FORMAT = 2  # of a saved rewriter; bumped whenever the features change
PERSONAL_MIN_RATIO = 80.0
PREFERENCE_MIN_RATIO = 70.0  # a misheard name differs more than a misheard wording ("worriers")
MIN_LIKED_LENGTH = 4  # shorter values ("rap") resemble too many words


@dataclass(frozen=True)
class Decision:
    rewrite: str | None
    layer: str | None  # "personal", "global", or None when passed through
    score: float
    reason: str


@dataclass
class Rewriter:
    index: ServedIndex
    markov: dict[tuple[str, str], float] = field(default_factory=dict)
    markov_rewrite: dict[str, str] = field(default_factory=dict)  # the best target of each source
    stay: dict[str, float] = field(default_factory=dict)  # probability of being served as said
    failed_counts: dict[str, int] = field(default_factory=dict)  # first attempts that failed as said
    attempts_seen: int = 0  # the logs' first attempts: counts become rates, the same in every fold
    evidence: WordEvidence = field(default_factory=WordEvidence)
    personal: dict[str, dict[str, int]] = field(default_factory=dict)  # user -> served wording -> count
    # The context: how often each wording served people on each kind of device (device_kind), and how
    # many first attempts each kind of device made.
    served_on: dict[str, dict[str, int]] = field(default_factory=dict)
    preferences: dict[str, list[str]] = field(default_factory=dict)  # user -> liked values, from the logs
    device_attempts: dict[str, int] = field(default_factory=dict)
    model: Any = None  # a fitted scikit-learn classifier with predict_proba
    threshold: float = 1.0
    personal_threshold: float = 1.0

    @classmethod
    def from_logs(cls, attempts: Sequence[Attempt], chains: Sequence[Chain]) -> Rewriter:
        """Everything but the ranker: the index of served wordings, the Markov solve, the word
        evidence and the personal histories. ``ValueError`` when nothing was served."""
        graph = RephraseGraph().add_all(chains)
        served = graph.served
        utterances = sorted(u for u in served if u)
        index = ServedIndex(utterances, [served[u] for u in utterances])
        rewrites, _ = solve(graph)
        return cls(
            index=index,
            markov={(r.source, r.target): r.probability for r in rewrites},
            markov_rewrite={r.source: r.target for r in rewrites},
            stay={r.source: r.stay for r in rewrites},
            failed_counts=dict(Counter(a.utterance for a in attempts if a.failed)),
            attempts_seen=len(attempts),
            served_on=_served_on(attempts),
            device_attempts=dict(Counter(a.device for a in attempts if a.device)),
            evidence=WordEvidence.from_logs(attempts, chains, served.items()),
            personal=served_histories(chains),
        )

    def _personal_candidates(self, utterance: str, history: Mapping[str, int]) -> list[Candidate]:
        if not history:
            return []
        found = process.extract(
            utterance, list(history), scorer=fuzz.ratio, limit=3, score_cutoff=PERSONAL_MIN_RATIO
        )
        return [
            Candidate(
                utterance=other,
                served=history[other],
                similarity=score / 100.0,
                ratio=score / 100.0,
                token_ratio=fuzz.token_sort_ratio(utterance, other) / 100.0,
            )
            for other, score, _ in found
            if other != utterance
        ]

    def _markov_candidates(self, utterance: str, nearest: Sequence[Candidate]) -> list[Candidate]:
        """The Markov rewrite of a request people said before, when retrieval did not find it."""
        target = self.markov_rewrite.get(utterance)
        if target is None or target == utterance or any(c.utterance == target for c in nearest):
            return []
        vectors = self.index.vectors([utterance, target])
        return [
            Candidate(
                utterance=target,
                served=self.index.served_count(target),
                similarity=float(vectors[0] @ vectors[1]),
                ratio=fuzz.ratio(utterance, target) / 100.0,
                token_ratio=fuzz.token_sort_ratio(utterance, target) / 100.0,
            )
        ]

    def _corrections(self, utterance: str, known: set[str]) -> list[Candidate]:
        """The request with a word corrected as people corrected it (see ``WordEvidence``)."""
        corrected = [c for c in self.evidence.corrections(utterance) if c not in known]
        if not corrected:
            return []
        vectors = self.index.vectors([utterance, *corrected])
        similarities = vectors[1:] @ vectors[0]
        return [
            Candidate(
                utterance=other,
                served=self.index.served_count(other),
                similarity=float(similarity),
                ratio=fuzz.ratio(utterance, other) / 100.0,
                token_ratio=fuzz.token_sort_ratio(utterance, other) / 100.0,
            )
            for other, similarity in zip(corrected, similarities, strict=True)
        ]

    def _preference_candidates(self, utterance: str, likes: Sequence[str]) -> list[Candidate]:
        """The request with a misheard name put right by one the person said they like ("play the
        worriers game" -> "play the warriors game" for a Warriors fan): the words that resemble a liked
        value (rapidfuzz's partial alignment) replaced by it."""
        found: list[Candidate] = []
        for value in likes:
            if len(value) < MIN_LIKED_LENGTH or value in utterance:
                continue
            match = fuzz.partial_ratio_alignment(value, utterance, score_cutoff=PREFERENCE_MIN_RATIO)
            if match is None:
                continue
            start, end = _word_bounds(utterance, match.dest_start, match.dest_end)
            corrected = " ".join((utterance[:start] + value + utterance[end:]).split())
            if corrected == utterance or any(c.utterance == corrected for c in found):
                continue
            found.append(
                Candidate(
                    utterance=corrected,
                    served=0,
                    similarity=match.score / 100.0,
                    ratio=fuzz.ratio(utterance, corrected) / 100.0,
                    token_ratio=fuzz.token_sort_ratio(utterance, corrected) / 100.0,
                )
            )
        return found

    def combined(
        self,
        utterance: str,
        nearest: Sequence[Candidate],
        history: Mapping[str, int],
        likes: Sequence[str] = (),
    ) -> list[tuple[Candidate, bool]]:
        """Every candidate for the request, each with whether it is the person's own (their served
        wordings and their likes: the personal layer)."""
        personal = self._personal_candidates(utterance, history)
        known = {c.utterance for c in personal}
        personal += [c for c in self._preference_candidates(utterance, likes) if c.utterance not in known]
        known |= {c.utterance for c in personal}
        shared = [*self._markov_candidates(utterance, nearest), *nearest]
        found = [(c, True) for c in personal] + [(c, False) for c in shared if c.utterance not in known]
        known |= {c.utterance for c in shared}
        return found + [(c, False) for c in self._corrections(utterance, known)]

    def candidates(
        self, utterance: str, user_key: str, likes: Sequence[str] = ()
    ) -> list[tuple[Candidate, bool]]:
        """``likes``: what the person taught the assistant they like (the teachable store), beside
        what the logs say they like."""
        known_likes = list(dict.fromkeys([*(self.preferences.get(user_key) or ()), *likes]))
        history = self.personal.get(user_key) or {}
        return self.combined(utterance, self.index.nearest(utterance), history, known_likes)

    def _device_share(self, wording: str, device: str) -> float:
        """How much more (above 0) or less often the wording served people on this kind of device than
        on any: a request said to a screen is better rewritten into what works on screens."""
        said_here = self.device_attempts.get(device, 0)
        if not device or not said_here:
            return 0.0
        here = self.served_on.get(device, {}).get(wording, 0)
        anywhere = sum(served.get(wording, 0) for served in self.served_on.values())
        return math.log((here + 0.5) / (said_here + 1)) - math.log(
            (anywhere + 0.5) / (sum(self.device_attempts.values()) + 1)
        )

    def features(self, utterance: str, candidate: Candidate, personal: bool, device: str = "") -> list[float]:
        return [
            candidate.ratio,
            candidate.token_ratio,
            candidate.similarity,
            self._rate(candidate.served) if not personal else math.log1p(candidate.served),
            self._rate(self.index.served_count(utterance)),
            self._rate(self.failed_counts.get(utterance, 0)),
            self.markov.get((utterance, candidate.utterance), 0.0),
            self.stay.get(utterance, 0.0),
            1.0 if personal else 0.0,
            self._device_share(candidate.utterance, device),
            *self.evidence.features(utterance, candidate.utterance),
        ]

    def _rate(self, count: int) -> float:
        """A count per thousand logged attempts, logged: the folds of cross-fitting see fewer logs
        than the served rewriter, and raw counts would mean less there than here."""
        return math.log1p(1000.0 * count / max(1, self.attempts_seen))

    def scored(
        self, utterance: str, user_key: str, device: str = "", likes: Sequence[str] = ()
    ) -> list[tuple[float, Candidate, bool]]:
        pairs = self.candidates(utterance, user_key, likes)
        if not pairs or self.model is None:
            return []
        matrix = np.array([self.features(utterance, c, personal, device) for c, personal in pairs])
        return ranked_by_score(self.model.predict_proba(matrix)[:, 1].tolist(), pairs)

    def decide(
        self, utterance: str, user_key: str = "", device: str = "", likes: Sequence[str] = ()
    ) -> Decision:
        """Rewrite when the best candidate's calibrated score clears its layer's threshold; the
        personal layer wins only when it clears its own (higher) one."""
        ranked = self.scored(utterance, user_key, device, likes)
        if not ranked:
            return Decision(None, None, 0.0, "no served utterance is near this one")
        for score, candidate, personal in ranked:
            if personal and score >= self.personal_threshold:
                return Decision(
                    candidate.utterance, "personal", score, "the person's own wording that served them"
                )
        score, candidate, personal = ranked[0]
        if score >= self.threshold:
            layer = "personal" if personal else "global"
            return Decision(candidate.utterance, layer, score, "a wording that served people who said this")
        return Decision(None, None, score, "not confident enough to rewrite")

    def save(self, path: Path) -> None:
        self.index.save(path.with_name(path.stem + "-index.pkl"))
        state = {key: value for key, value in self.__dict__.items() if key != "index"}
        with path.open("wb") as out:
            pickle.dump({"format": FORMAT, **state}, out)

    @classmethod
    def load(cls, path: Path) -> Rewriter:
        """``ValueError`` for a rewriter saved in an older format (its ranker read other features)."""
        with path.open("rb") as source:
            state = pickle.load(source)  # our own file, written by save()
        if state.pop("format", None) != FORMAT:
            raise ValueError(f"{path.name} was built by an older version of the rewriter: build it again.")
        rewriter = cls.__new__(cls)
        rewriter.__dict__.update(state)
        rewriter.index = ServedIndex.load(path.with_name(path.stem + "-index.pkl"))
        return rewriter


def ranked_by_score(
    scores: Sequence[float], pairs: Sequence[tuple[Candidate, bool]]
) -> list[tuple[float, Candidate, bool]]:
    ranked = sorted(zip(scores, pairs, strict=True), key=lambda item: -item[0])
    return [(score, candidate, personal) for score, (candidate, personal) in ranked]


def _served_on(attempts: Iterable[Attempt]) -> dict[str, dict[str, int]]:
    served: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for attempt in attempts:
        wording = attempt.served_by if attempt.failed else attempt.utterance
        if attempt.device and wording:
            served[attempt.device][wording] += 1
    return {device: dict(counts) for device, counts in served.items()}


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to whole words."""
    while start > 0 and text[start - 1] != " ":
        start -= 1
    while end < len(text) and text[end] != " ":
        end += 1
    return start, end
