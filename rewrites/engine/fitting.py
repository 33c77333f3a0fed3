"""Fitting the rewriter honestly: cross-fitting by person, fold models, and thresholds chosen on
scores of people the models never saw (see ``rewriter.py``'s docstring for why)."""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from rewrites.engine.chains import Chain
from rewrites.engine.logs import Attempt
from rewrites.engine.retrieval import Candidate
from rewrites.engine.rewriter import FEATURES, Rewriter, ranked_by_score

DEFAULT_FOLDS = 4


@dataclass
class FoldEnsemble:
    """The fold models, averaged: a new request is scored by models none of which saw it, as every
    logged one was when the thresholds were chosen, so the thresholds mean the same at serving."""

    models: list[HistGradientBoostingClassifier]

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        averaged: np.ndarray = np.mean([model.predict_proba(matrix) for model in self.models], axis=0)
        return averaged


def fold_of(user_key: str, folds: int) -> int:
    """A person's fold: stable across runs and machines (not Python's salted hash)."""
    return zlib.crc32(user_key.encode("utf-8")) % folds


# How each feature may move the score: more evidence that the request fails, or that the candidate
# is what people meant, never lowers it; evidence that the request works as said never raises it. The
# constraints keep the trees sensible where the served rewriter's counts run past the folds' (it
# sees all the logs, each fold three quarters of them).
MONOTONIC = {
    "ratio": 1,
    "token_ratio": 1,
    "similarity": 1,
    "log_served": 1,
    "log_request_served": -1,
    "log_request_failed": 1,
    "markov": 1,
    "markov_stay": -1,
    "request_failure": 1,
    "removed_failure": 1,
    "request_unseen": 1,
    "removed_unseen": 1,
    "substitution": 1,
}


def ranker() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.1,
        max_leaf_nodes=15,
        min_samples_leaf=5,
        l2_regularization=1.0,
        monotonic_cst=[MONOTONIC.get(name, 0) for name in FEATURES],
        random_state=0,
    )


def fit_rewriter(
    attempts: Sequence[Attempt],
    chains: Sequence[Chain],
    preferences: Mapping[str, Sequence[str]] | None = None,
    *,
    folds: int = DEFAULT_FOLDS,
    min_win_loss: float = 12.0,
) -> tuple[Rewriter, dict[str, float]]:
    """The rewriter of these logs, its ranker trained and its thresholds chosen out of fold (see the
    module's docstring). ``preferences``: each person's stated likes, which the personal layer
    reads. ``ValueError`` when nothing in the logs was served."""
    preferences = preferences or {}
    final = Rewriter.from_logs(attempts, chains)
    final.preferences = {user: list(values) for user, values in preferences.items()}
    people = sorted({a.user_key for a in attempts} | {str(c.user_key or "") for c in chains})
    folds = max(2, min(folds, len(people)))
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[int] = []
    per_attempt: list[tuple[Attempt, list[tuple[Candidate, bool]]]] = []
    for fold in range(folds):
        inside = [a for a in attempts if fold_of(a.user_key, folds) == fold]
        outside = [a for a in attempts if fold_of(a.user_key, folds) != fold]
        outside_chains = [c for c in chains if fold_of(str(c.user_key or ""), folds) != fold]
        if not inside or not any(c.succeeded for c in outside_chains):
            continue
        base = Rewriter.from_logs(outside, outside_chains)
        own = _own_histories([c for c in chains if fold_of(str(c.user_key or ""), folds) == fold])
        distinct = sorted({a.utterance for a in inside})
        nearest = dict(zip(distinct, base.index.nearest_many(distinct), strict=True))
        for attempt in inside:
            history = own.history(attempt.user_key, attempt.dialogue_id)
            likes = preferences.get(attempt.user_key) or ()
            pairs = base.combined(attempt.utterance, nearest[attempt.utterance], history, likes)
            per_attempt.append((attempt, pairs))
            for candidate, personal in pairs:
                rows.append(base.features(attempt.utterance, candidate, personal, attempt.device))
                labels.append(int(attempt.failed and candidate.utterance == attempt.served_by))
                groups.append(fold)
    report: dict[str, float] = {"pairs": float(len(rows)), "positives": float(sum(labels)), "folds": folds}
    if len(set(labels)) < 2 or len(set(groups)) < 2:
        return final, {**report, "threshold": 1.0, "personal_threshold": 1.0}
    matrix, target, fold_ids = np.array(rows), np.array(labels), np.array(groups)
    held_out = np.zeros(len(rows))
    models = []
    for fold in sorted(set(groups)):
        # Each fold's model is trained on the other folds' rows and scores this fold's: held-out scores
        # for the thresholds, and the models that serve are exactly the ones those scores came from.
        training = fold_ids != fold
        if len(set(target[training].tolist())) < 2:
            continue
        model = ranker().fit(matrix[training], target[training])
        held_out[~training] = model.predict_proba(matrix[~training])[:, 1]
        models.append(model)
    ranked, start = [], 0
    for attempt, pairs in per_attempt:
        ranked.append((attempt, ranked_by_score(held_out[start : start + len(pairs)].tolist(), pairs)))
        start += len(pairs)
    final.model = FoldEnsemble(models)
    final.threshold = _threshold(ranked, min_win_loss, personal_only=False)
    final.personal_threshold = max(final.threshold, _threshold(ranked, min_win_loss, personal_only=True))
    held_out_outcome = _outcomes(ranked, final.threshold)
    return final, {
        **report,
        "threshold": final.threshold,
        "personal_threshold": final.personal_threshold,
        **{f"held_out_{key}": value for key, value in held_out_outcome.items()},
    }


@dataclass
class _OwnHistories:
    """Each person's served wordings per dialogue, so an attempt sees the ones from their other
    dialogues only (its own rephrase ending is the answer, not evidence)."""

    by_dialogue: dict[str, dict[str, Counter[str]]]

    def history(self, user_key: str, dialogue_id: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for dialogue, counts in self.by_dialogue.get(user_key, {}).items():
            if dialogue != dialogue_id:
                total.update(counts)
        return dict(total)


def _own_histories(chains: Iterable[Chain]) -> _OwnHistories:
    by_dialogue: defaultdict[str, defaultdict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for chain in chains:
        if chain.succeeded and chain.user_key and chain.utterances[-1]:
            by_dialogue[str(chain.user_key)][chain.dialogue_id][chain.utterances[-1]] += 1
    return _OwnHistories({user: dict(dialogues) for user, dialogues in by_dialogue.items()})


def _outcome(attempt: Attempt, candidate: Candidate) -> int:
    """+1 a win (a failure rewritten into what served the person), -1 a loss (a request that worked,
    rewritten), 0 neither (a failure rewritten into something else)."""
    if attempt.failed and candidate.utterance == attempt.served_by:
        return 1
    return -1 if not attempt.failed else 0


def _threshold(
    ranked: Sequence[tuple[Attempt, Sequence[tuple[float, Candidate, bool]]]],
    min_win_loss: float,
    *,
    personal_only: bool,
) -> float:
    """The lowest score at which applied rewrites (each attempt's best candidate) still win at least
    ``min_win_loss`` times as often as they lose; 1.0 when no score does."""
    by_score: dict[float, list[int]] = {}
    for attempt, candidates in ranked:
        usable = [r for r in candidates if r[2] or not personal_only]
        if usable:
            score, candidate, _ = usable[0]
            by_score.setdefault(score, []).append(_outcome(attempt, candidate))
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


def _outcomes(
    ranked: Sequence[tuple[Attempt, Sequence[tuple[float, Candidate, bool]]]], threshold: float
) -> dict[str, float]:
    outcomes = [
        _outcome(attempt, found[0][1]) for attempt, found in ranked if found and found[0][0] >= threshold
    ]
    return {
        "wins": float(outcomes.count(1)),
        "losses": float(outcomes.count(-1)),
        "coverage": round(len(outcomes) / len(ranked), 4) if ranked else 0.0,
    }
