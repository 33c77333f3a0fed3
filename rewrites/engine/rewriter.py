"""The online rewriter: a global layer over everyone's served utterances and a personal layer over the
person's own, each proposing candidates that one ranker scores; a calibrated score decides between
rewriting and passing the request through.

The ranker is a logistic regression (scikit-learn) over features of a (request, candidate) pair: edit
similarity (rapidfuzz), closeness in the index, how often the candidate served people, how often the
request itself did (a request that works must be left alone), the Markov absorption probability of
the pair where the logs have one, and whether the candidate is the person's own. It is trained on
logged first attempts whose outcome and served wording are known, and its threshold is the lowest
score at which applied rewrites win at least ``min_win_loss`` times as often as they lose on that data.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.linear_model import LogisticRegression

from rewrites.engine.retrieval import Candidate, ServedIndex

FEATURES = ("ratio", "token_ratio", "similarity", "log_served", "log_request_served", "markov", "personal")
PERSONAL_MIN_RATIO = 80.0


@dataclass(frozen=True)
class Attempt:
    """A logged first attempt: what was said, by whom, whether it failed, what would have served."""

    utterance: str  # normalised
    user_key: str
    failed: bool
    served_by: str | None  # normalised; None when unknown or it did not fail


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
    personal: dict[str, dict[str, int]] = field(default_factory=dict)  # user -> served utterance -> count
    model: LogisticRegression | None = None
    threshold: float = 1.0
    personal_threshold: float = 1.0

    def _personal_candidates(self, utterance: str, user_key: str) -> list[Candidate]:
        history = self.personal.get(user_key) or {}
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

    def features(self, utterance: str, candidate: Candidate, personal: bool) -> list[float]:
        return [
            candidate.ratio,
            candidate.token_ratio,
            candidate.similarity,
            math.log1p(candidate.served),
            math.log1p(self.index.served_count(utterance)),
            self.markov.get((utterance, candidate.utterance), 0.0),
            1.0 if personal else 0.0,
        ]

    def candidates(self, utterance: str, user_key: str) -> list[tuple[Candidate, bool]]:
        personal = [(c, True) for c in self._personal_candidates(utterance, user_key)]
        seen = {c.utterance for c, _ in personal}
        return personal + [(c, False) for c in self.index.nearest(utterance) if c.utterance not in seen]

    def scored(self, utterance: str, user_key: str) -> list[tuple[float, Candidate, bool]]:
        pairs = self.candidates(utterance, user_key)
        if not pairs or self.model is None:
            return []
        matrix = np.array([self.features(utterance, c, personal) for c, personal in pairs])
        scores = self.model.predict_proba(matrix)[:, 1]
        ranked = sorted(zip(scores.tolist(), pairs, strict=True), key=lambda item: -item[0])
        return [(score, candidate, personal) for score, (candidate, personal) in ranked]

    def decide(self, utterance: str, user_key: str = "") -> Decision:
        """Rewrite when the best candidate's calibrated score clears its layer's threshold; the
        personal layer wins only when it clears its own (higher) one."""
        ranked = self.scored(utterance, user_key)
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

    def fit(self, attempts: Sequence[Attempt], *, min_win_loss: float = 12.0) -> dict[str, float]:
        """Train the ranker on logged attempts, then choose the thresholds on them.

        Retrieval is the cost, and logs repeat themselves: each distinct (utterance, history) is looked
        up once, and every candidate is scored in one batch, for training and thresholds alike."""
        looked_up: dict[tuple[str, str], list[tuple[Candidate, bool]]] = {}
        per_attempt: list[list[tuple[Candidate, bool]]] = []
        for attempt in attempts:
            key = (attempt.utterance, attempt.user_key if attempt.user_key in self.personal else "")
            if key not in looked_up:
                looked_up[key] = self.candidates(attempt.utterance, attempt.user_key)
            per_attempt.append(looked_up[key])
        rows, labels = [], []
        for attempt, pairs in zip(attempts, per_attempt, strict=True):
            for candidate, personal in pairs:
                rows.append(self.features(attempt.utterance, candidate, personal))
                labels.append(int(attempt.failed and candidate.utterance == attempt.served_by))
        if not rows or len(set(labels)) < 2:
            self.model, self.threshold, self.personal_threshold = None, 1.0, 1.0
            return {"pairs": float(len(rows)), "positives": float(sum(labels)), "threshold": 1.0}
        matrix = np.array(rows)
        self.model = LogisticRegression(max_iter=1000, class_weight="balanced").fit(matrix, labels)
        scores = self.model.predict_proba(matrix)[:, 1].tolist()
        ranked: list[list[tuple[float, Candidate, bool]]] = []
        start = 0
        for pairs in per_attempt:
            chunk = scores[start : start + len(pairs)]
            start += len(pairs)
            ranked.append(
                sorted(
                    ((score, c, personal) for score, (c, personal) in zip(chunk, pairs, strict=True)),
                    key=lambda item: -item[0],
                )
            )
        self.threshold = _threshold(attempts, ranked, min_win_loss, personal_only=False)
        self.personal_threshold = max(
            self.threshold, _threshold(attempts, ranked, min_win_loss, personal_only=True)
        )
        return {
            "pairs": float(len(rows)),
            "positives": float(sum(labels)),
            "threshold": self.threshold,
            "personal_threshold": self.personal_threshold,
        }

    def save(self, path: Path) -> None:
        self.index.save(path.with_name(path.stem + "-index.pkl"))
        state = {key: value for key, value in self.__dict__.items() if key != "index"}
        with path.open("wb") as out:
            pickle.dump(state, out)

    @classmethod
    def load(cls, path: Path) -> Rewriter:
        rewriter = cls.__new__(cls)
        with path.open("rb") as source:
            rewriter.__dict__.update(pickle.load(source))  # our own file, written by save()
        rewriter.index = ServedIndex.load(path.with_name(path.stem + "-index.pkl"))
        return rewriter


def _threshold(
    attempts: Sequence[Attempt],
    ranked: Sequence[Sequence[tuple[float, Candidate, bool]]],
    min_win_loss: float,
    *,
    personal_only: bool,
) -> float:
    """The lowest score at which applied rewrites (each attempt's best candidate) still win at least
    ``min_win_loss`` times as often as they lose; 1.0 when no score does."""
    by_score: dict[float, list[int]] = {}  # score -> outcomes: +1 win, -1 loss, 0 neither
    for attempt, candidates in zip(attempts, ranked, strict=True):
        usable = [r for r in candidates if r[2] or not personal_only]
        if not usable:
            continue
        score, candidate, _ = usable[0]
        if attempt.failed and candidate.utterance == attempt.served_by:
            outcome = 1
        elif not attempt.failed:
            outcome = -1
        else:
            outcome = 0
        by_score.setdefault(score, []).append(outcome)
    # Lower the threshold score by score (attempts with the same score go together: a threshold takes
    # all of them or none), keeping the lowest one whose rewrites still win often enough.
    best = 1.0
    wins = losses = 0
    for score in sorted(by_score, reverse=True):
        wins += by_score[score].count(1)
        losses += by_score[score].count(-1)
        if wins > 0 and wins >= min_win_loss * losses:
            best = score
    return best


def served_counts(attempts: Sequence[Attempt], chains_served: Mapping[str, int]) -> dict[str, int]:
    """How often each utterance served people: attempts that did not fail, and chain endings."""
    counts: dict[str, int] = dict(chains_served)
    for attempt in attempts:
        if not attempt.failed:
            counts[attempt.utterance] = counts.get(attempt.utterance, 0) + 1
    return counts
