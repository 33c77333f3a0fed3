"""Fitting the rewriter honestly: cross-fitting by person, fold models, and thresholds chosen on
scores of people the models never saw (see ``rewriter.py``'s docstring for why)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from rewrites.engine.chains import Chain
from rewrites.engine.forest import FoldEnsemble  # saved rewriters name it here too
from rewrites.engine.logs import Attempt, Reading
from rewrites.engine.meaning import Meaning
from rewrites.engine.personal import EMPTY, PersonalLayer
from rewrites.engine.retrieval import Candidate
from rewrites.engine.rewriter import FEATURES, Pair, Rewriter

DEFAULT_FOLDS = 4


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
    "sounds_alike": 1,
    "meaning_source_misread": 1,
    "meaning_target_read": 1,
    "personal_pair": 1,
    "personal_failed": 1,
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


@dataclass(frozen=True)
class HeldOut:
    """What the served rewriter would have done with a logged request, scored by the fold model that
    never saw its person: its rewrite by the global layer alone, and with the personal layer (the
    global layer's where the person had no history yet). None: passed through."""

    attempt: Attempt
    global_rewrite: str | None
    rewrite: str | None


class Fit(NamedTuple):
    rewriter: Rewriter
    report: dict[str, float]
    held_out: list[HeldOut]


def fit_rewriter(
    attempts: Sequence[Attempt],
    chains: Sequence[Chain],
    preferences: Mapping[str, Sequence[str]] | None = None,
    readings: Sequence[Reading] = (),
    *,
    folds: int = DEFAULT_FOLDS,
    min_win_loss: float = 12.0,
) -> Fit:
    """The rewriter of these logs, its ranker trained and its thresholds chosen out of fold (see the
    module's docstring), with the held-out decisions they came from. ``preferences``: each person's
    stated likes, which the personal layer reads; ``readings``: every labelled request turn, what
    rewriting by meaning learns from. ``ValueError`` when nothing in the logs was served."""
    preferences = preferences or {}
    final = Rewriter.from_logs(attempts, chains, readings, preferences)
    people = sorted({a.user_key for a in attempts} | {str(c.user_key or "") for c in chains})
    folds = max(2, min(folds, len(people)))
    rows = _Rows(_Meanings(final))
    timed = all(a.time for a in attempts)
    for fold in range(folds):
        rows.add_fold(fold, folds, attempts, chains, readings, preferences, returning=False)
        if timed:
            rows.add_fold(fold, folds, attempts, chains, readings, preferences, returning=True)
    labels = rows.labels
    report: dict[str, float] = {
        "pairs": float(len(labels)),
        "positives": float(sum(labels)),
        "folds": folds,
        "returning_rows": float(timed),
    }
    if len(set(labels)) < 2 or len(set(rows.groups)) < 2:
        return Fit(final, {**report, "threshold": 1.0, "personal_threshold": 1.0}, [])
    matrix, target, fold_ids = np.vstack(rows.rows), np.array(labels), np.array(rows.groups)
    held_out = np.zeros(len(labels))
    models = []
    for fold in sorted(set(rows.groups)):
        # Each fold's model is trained on the other folds' rows and scores this fold's: held-out scores
        # for the thresholds, and the models that serve are exactly the ones those scores came from.
        training = fold_ids != fold
        if len(set(target[training].tolist())) < 2:
            continue
        model = ranker().fit(matrix[training], target[training])
        held_out[~training] = model.predict_proba(matrix[~training])[:, 1]
        models.append(model)
    final.model = FoldEnsemble(models)
    best = {view: [item.best(held_out) for item in items] for view, items in rows.scored.items()}
    # Each view's threshold holds for new people and for people coming back, each on its own.
    final.threshold = _threshold_for_both(rows.scored["global"], held_out, min_win_loss)
    final.personal_threshold = _threshold_for_both(rows.scored["personal"], held_out, min_win_loss)
    report |= {
        "threshold": final.threshold,
        "personal_threshold": final.personal_threshold,
        **{f"held_out_{key}": value for key, value in _outcomes(best["global"], final.threshold).items()},
        **{
            f"held_out_personal_{key}": value
            for key, value in _outcomes(best["personal"], final.personal_threshold).items()
        },
    }
    return Fit(final, report, rows.decisions(held_out, final.threshold, final.personal_threshold))


class _Rows:
    """The ranker's training rows: every fold's attempts, each in the global view (the global layer
    alone) and, where the person had said something before, the personal view (both layers)."""

    def __init__(self, meanings: _Meanings) -> None:
        self.meanings = meanings
        self.rows: list[np.ndarray] = []
        self.labels: list[int] = []
        self.groups: list[int] = []
        self.scored: dict[str, list[_Scored]] = {"global": [], "personal": []}

    def add_fold(
        self,
        fold: int,
        folds: int,
        attempts: Sequence[Attempt],
        chains: Sequence[Chain],
        readings: Sequence[Reading],
        preferences: Mapping[str, Sequence[str]],
        *,
        returning: bool,
    ) -> None:
        """The fold's people's requests featurised against a rewriter of the other folds' logs, each
        person with their own history as it stood and their likes, as the served rewriter meets them.
        New people (``returning`` false): all their requests, against the other folds alone. The same
        people coming back (``returning``): the later half of each one's requests, against the other
        folds and everything the fold's people said in their earlier half."""
        own = [a for a in attempts if fold_of(a.user_key, folds) == fold]
        earlier_own = _earlier_halves(own) if returning else []
        seen = {a.dialogue_id for a in earlier_own}
        inside = sorted(
            (a for a in own if a.dialogue_id not in seen) if returning else own, key=lambda a: a.time
        )
        base_chains = [
            c for c in chains if fold_of(str(c.user_key or ""), folds) != fold or c.dialogue_id in seen
        ]
        if not inside or not any(c.succeeded for c in base_chains):
            return
        base = Rewriter.from_logs(
            [a for a in attempts if fold_of(a.user_key, folds) != fold] + earlier_own,
            base_chains,
            [r for r in readings if fold_of(r.user_key, folds) != fold or r.dialogue_id in seen],
        )
        history = PersonalLayer.from_logs(earlier_own)
        for user in {a.user_key for a in inside}:
            history.like(user, preferences.get(user) or ())
        distinct = sorted({a.utterance for a in inside})
        nearest = dict(zip(distinct, base.index.nearest_many(distinct), strict=True))
        for attempt in inside:
            person = history.of(attempt.user_key)
            for view, said in (("global", EMPTY), ("personal", person)):
                if view == "personal" and not said:
                    continue  # no history yet: the personal view is the global one
                pairs = base.combined(attempt.utterance, nearest[attempt.utterance], said)
                if pairs:
                    features = base.features(attempt.utterance, pairs, said, attempt.device)
                    self._add(view, fold, attempt, pairs, features, returning)
            history.observe(attempt)

    def _add(
        self, view: str, fold: int, attempt: Attempt, pairs: list[Pair], rows: np.ndarray, returning: bool
    ) -> None:
        positive = [_serves(self.meanings, attempt, candidate) for candidate, _ in pairs]
        same = [_same_meaning(self.meanings, attempt, candidate) for candidate, _ in pairs]
        self.scored[view].append(_Scored(attempt, pairs, positive, same, len(self.labels), returning))
        self.rows.append(rows)
        self.labels += positive
        self.groups += [fold] * len(pairs)

    def decisions(self, scores: np.ndarray, threshold: float, personal_threshold: float) -> list[HeldOut]:
        """Each attempt's held-out rewrite as a new person's, in the global view and with the
        personal layer."""
        personal = {id(item.attempt): item for item in self.scored["personal"] if not item.returning}
        found = []
        for item in self.scored["global"]:
            if item.returning:
                continue
            alone = item.rewrite(scores, threshold)
            own = personal.get(id(item.attempt))
            found.append(
                HeldOut(item.attempt, alone, own.rewrite(scores, personal_threshold) if own else alone)
            )
        return found


@dataclass(frozen=True)
class _Scored:
    """An attempt's candidates in one view, where their rows start among all the rows."""

    attempt: Attempt
    pairs: list[Pair]
    positive: list[int]
    same: list[bool]  # the candidate means what the request meant
    start: int
    returning: bool  # scored with the person's earlier half in the base (``_Rows.add_fold``)

    def _top(self, scores: np.ndarray) -> tuple[float, int]:
        own = scores[self.start : self.start + len(self.pairs)]
        top = int(np.argmax(own))
        return float(own[top]), top

    def best(self, scores: np.ndarray) -> tuple[float, int]:
        """The best candidate's held-out score and its outcome (``_outcome``)."""
        score, top = self._top(scores)
        return score, _outcome(self.attempt, bool(self.positive[top]), self.same[top])

    def rewrite(self, scores: np.ndarray, threshold: float) -> str | None:
        score, top = self._top(scores)
        return self.pairs[top][0].utterance if score >= threshold else None


class _Meanings:
    """What candidates mean, as far as the logs can tell (``MeaningIndex.understood``), each text
    read once per fit."""

    def __init__(self, rewriter: Rewriter) -> None:
        self.index = rewriter.meanings
        self.read: dict[str, Meaning | None] = {}

    def of(self, candidate: Candidate) -> Meaning | None:
        if candidate.meaning is not None:
            return candidate.meaning.meaning
        return self.text(candidate.utterance)

    def text(self, text: str) -> Meaning | None:
        if text not in self.read:
            self.read[text] = self.index.understood(text)
        return self.read[text]


def _earlier_halves(attempts: Sequence[Attempt]) -> list[Attempt]:
    """Each person's earlier half of these requests, by their dialogues' times."""
    by_person: dict[str, list[Attempt]] = {}
    for attempt in sorted(attempts, key=lambda a: a.time):
        by_person.setdefault(attempt.user_key, []).append(attempt)
    return [a for said in by_person.values() for a in said[: len(said) // 2]]


def _serves(meanings: _Meanings, attempt: Attempt, candidate: Candidate) -> int:
    """Whether a candidate would have served a failed request, as the logs can tell: it is the wording
    that served the person, or it means what that wording meant (the labels' intent and slot values)
    in words the assistant reads well."""
    if not attempt.failed or attempt.served_by is None:
        return 0
    if candidate.utterance == attempt.served_by:
        return 1
    meaning = meanings.of(candidate)
    return int(meaning is not None and meaning == meanings.text(attempt.served_by))


def _same_meaning(meanings: _Meanings, attempt: Attempt, candidate: Candidate) -> bool:
    """Whether a candidate for a request that worked means what the request meant."""
    meaning = meanings.of(candidate)
    return meaning is not None and meaning == meanings.text(attempt.utterance)


def _outcome(attempt: Attempt, serves: bool, same_meaning: bool) -> int:
    """+1 a win (a failure rewritten into what would serve the person), -1 a loss (a request that
    worked, rewritten into something that means something else, or whose meaning the logs do not
    know), 0 neither (a failure left failing, or a request that worked said in other words of the same
    meaning, words that served people)."""
    if attempt.failed:
        return 1 if serves else 0
    return 0 if same_meaning else -1


def _threshold_for_both(scored: Sequence[_Scored], scores: np.ndarray, min_win_loss: float) -> float:
    """The lowest threshold at or above the one for all requests (``_threshold``) at which new people's
    and returning people's rewrites each still win ``min_win_loss`` times as often as they lose (or do
    not lose at all)."""
    best = [item.best(scores) for item in scored]
    chosen = _threshold(best, min_win_loss)
    groups = []
    for returning in (False, True):
        found = sorted(
            (score, outcome)
            for (score, outcome), item in zip(best, scored, strict=True)
            if item.returning is returning
        )
        ordered = np.array([score for score, _ in found])
        wins = np.cumsum([outcome == 1 for _, outcome in found][::-1])[::-1]  # at or above each position
        losses = np.cumsum([outcome == -1 for _, outcome in found][::-1])[::-1]
        groups.append((ordered, wins, losses))
    for threshold in sorted({score for score, _ in best if score >= chosen} | {1.0}):
        if all(_holds(group, threshold, min_win_loss) for group in groups):
            return threshold
    return 1.0


def _holds(group: tuple[np.ndarray, np.ndarray, np.ndarray], threshold: float, min_win_loss: float) -> bool:
    ordered, wins, losses = group
    start = int(np.searchsorted(ordered, threshold, side="left"))
    if start >= len(ordered):
        return True
    return bool(wins[start] >= min_win_loss * losses[start])


def _threshold(best: Sequence[tuple[float, int]], min_win_loss: float) -> float:
    """The lowest score at which applied rewrites (each attempt's best candidate) still win at least
    ``min_win_loss`` times as often as they lose; 1.0 when no score does."""
    by_score: dict[float, list[int]] = {}
    for score, outcome in best:
        by_score.setdefault(score, []).append(outcome)
    # Lower the threshold score by score (attempts with the same score go together: a threshold takes
    # all of them or none), keeping the lowest one whose rewrites still win often enough.
    chosen = 1.0
    wins = losses = 0
    for score in sorted(by_score, reverse=True):
        wins += by_score[score].count(1)
        losses += by_score[score].count(-1)
        if wins > 0 and wins >= min_win_loss * losses:
            chosen = score
    return chosen


def _outcomes(best: Sequence[tuple[float, int]], threshold: float) -> dict[str, float]:
    outcomes = [outcome for score, outcome in best if score >= threshold]
    return {
        "wins": float(outcomes.count(1)),
        "losses": float(outcomes.count(-1)),
        "coverage": round(len(outcomes) / len(best), 4) if best else 0.0,
    }
