"""The online rewriter: a global layer over everyone's logs and a personal layer over the person's own,
each proposing candidates that one ranker scores; a calibrated score decides between rewriting and
passing the request through.

Candidates come from five places. The global layer: the Markov rewrite of the request when people
said it before (Ponnusamy et al.), the nearest served utterances in the index, the request with one
word corrected the way people corrected that word when they rephrased, or into a served word that
sounds like it (``phonetics.py``; both reach requests nobody said before), and the request said in
the best-read wording of its meaning when its wording is one the assistant misreads (``meaning.py``).
The personal layer (``personal.py``): what served the person after this very request failed them,
the wordings that served them before, and a misheard name put right by one they like.

The ranker (scikit-learn's gradient-boosted trees) scores a (request, candidate) pair from edit
similarity (rapidfuzz), closeness in the index, how often the candidate served people and how often
the request itself served or failed, the Markov probabilities, word-level evidence (``evidence.py``):
whether the request's words are ones that fail, and whether the candidate replaces them the way people
replaced them when they rephrased; the meaning's evidence (how often the request's carrier was
misread, how well the candidate's is read); and the person's own history.

**Two views, two thresholds.** Served without the person (``user_key`` empty, or a person with no
history yet), the global layer decides at its threshold; with the person's history, both layers'
candidates at the personal threshold. Each is chosen out of fold on its own view, so each means
"wins at least 12 times as often as it loses" where it is used.

**Honest training.** A request seen in the logs knows its own outcome; a new one does not. Training on
features computed with the request's own outcome inside them teaches the ranker that a request that
never served is a failing one, which is false for every new request. So ``fitting.fit_rewriter``
cross-fits by person: the logs are split into folds of people, and each fold's requests are
featurised against a rewriter built from the *other* folds only, as new people's; and, since most
requests a served rewriter meets come from people it has seen, the later half of each of the fold's
people's requests once more against the other folds *and* the earlier half, as the same people coming
back. The thresholds are then chosen on out-of-fold scores, so "wins at least 12 times as often as it
loses" is a held-out estimate, on people the ranker never saw.
"""

from __future__ import annotations

import copy
import math
import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from rewrites.engine import evidence as word_evidence
from rewrites.engine import meaning as by_meaning
from rewrites.engine import personal as own
from rewrites.engine.chains import Chain
from rewrites.engine.evidence import WordEvidence
from rewrites.engine.logs import Attempt, Reading
from rewrites.engine.markov import RephraseGraph, solve
from rewrites.engine.meaning import Meaning, MeaningIndex, MeaningMatch
from rewrites.engine.personal import PersonalLayer, PersonHistory
from rewrites.engine.phonetics import Phonetics
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
    "sounds_alike",
    *by_meaning.FEATURES,
    "meaning_agrees",
    *own.FEATURES,
)
FORMAT = 4  # of a saved rewriter; bumped whenever the features change
PERSONAL_MIN_RATIO = 80.0
PREFERENCE_MIN_RATIO = 70.0  # a misheard name differs more than a misheard wording ("worriers")
MIN_LIKED_LENGTH = 4  # shorter values ("rap") resemble too many words
# A candidate's closeness not measured yet (``Rewriter._measured`` measures them all at once).
UNMEASURED = math.nan


@dataclass(frozen=True)
class Decision:
    rewrite: str | None
    layer: str | None  # "personal", "global", or None when passed through
    score: float
    reason: str


Pair = tuple[Candidate, bool]  # a candidate, and whether the personal layer proposed it


@dataclass
class Rewriter:
    index: ServedIndex
    markov: dict[tuple[str, str], float] = field(default_factory=dict)
    markov_rewrite: dict[str, str] = field(default_factory=dict)  # the best target of each source
    stay: dict[str, float] = field(default_factory=dict)  # probability of being served as said
    failed_counts: dict[str, int] = field(default_factory=dict)  # first attempts that failed as said
    attempts_seen: int = 0  # the logs' first attempts: counts become rates, the same in every fold
    evidence: WordEvidence = field(default_factory=WordEvidence)
    phonetics: Phonetics = field(default_factory=Phonetics)
    meanings: MeaningIndex = field(default_factory=lambda: MeaningIndex((), 0))
    people: PersonalLayer = field(default_factory=PersonalLayer)
    # The context: how often each wording served people on each kind of device (device_kind), and how
    # many first attempts each kind of device made.
    served_on: dict[str, dict[str, int]] = field(default_factory=dict)
    device_attempts: dict[str, int] = field(default_factory=dict)
    model: Any = None  # a fitted scikit-learn classifier with predict_proba
    threshold: float = 1.0  # the global layer alone
    personal_threshold: float = 1.0  # both layers, for a person with a history

    @classmethod
    def from_logs(
        cls,
        attempts: Sequence[Attempt],
        chains: Sequence[Chain],
        readings: Iterable[Reading] = (),
        likes: Mapping[str, Sequence[str]] | None = None,
    ) -> Rewriter:
        """Everything but the ranker: the index of served wordings, the Markov solve, the word
        evidence, the meanings and the personal histories. ``ValueError`` when nothing was served."""
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
            phonetics=Phonetics.from_logs(
                (word for a in attempts for word in a.utterance.split()),
                Counter({word: n for wording, n in served.items() for word in wording.split()}),
            ),
            meanings=MeaningIndex(readings, len(attempts)),
            people=PersonalLayer.from_logs(attempts, dict(likes or {})),
        )

    # --- candidates ------------------------------------------------------------------------------
    def _candidate(
        self, utterance: str, other: str, similarity: float = UNMEASURED, served: int = 0
    ) -> Candidate:
        """``other`` as a candidate for ``utterance``; its closeness in the index's space, when not
        given, is measured with every other candidate's in ``combined`` (``_measured``)."""
        return Candidate(
            utterance=other,
            served=served,
            similarity=similarity,
            ratio=fuzz.ratio(utterance, other) / 100.0,
            token_ratio=fuzz.token_sort_ratio(utterance, other) / 100.0,
        )

    def _measured(
        self, utterance: str, found: list[Candidate], request: np.ndarray | None = None
    ) -> list[Candidate]:
        """The candidates with their closeness to the request in the index's space, measured for all
        of them at once (``ServedIndex.closeness``): a transform per candidate was a third of a
        served decision."""
        unmeasured = list(dict.fromkeys(c.utterance for c in found if math.isnan(c.similarity)))
        if not unmeasured:
            return found
        closeness = dict(zip(unmeasured, self.index.closeness(utterance, unmeasured, request), strict=True))
        return [
            replace(c, similarity=closeness[c.utterance]) if math.isnan(c.similarity) else c for c in found
        ]

    def _personal_candidates(self, utterance: str, person: PersonHistory) -> list[Candidate]:
        """What served the person after this request failed them, then their served wordings that
        resemble it, then the request with a misheard name put right by one they like."""
        found = [
            self._candidate(utterance, other, served=person.served.get(other, count))
            for other, count in sorted(person.fixed.get(utterance, {}).items(), key=lambda i: (-i[1], i[0]))
            if other != utterance
        ]
        known = {c.utterance for c in found}
        if person.served:
            similar = process.extract(
                utterance, list(person.served), scorer=fuzz.ratio, limit=3, score_cutoff=PERSONAL_MIN_RATIO
            )
            for other, score, _ in similar:
                if other != utterance and other not in known:
                    known.add(other)
                    found.append(
                        Candidate(
                            utterance=other,
                            served=person.served[other],
                            similarity=score / 100.0,
                            ratio=score / 100.0,
                            token_ratio=fuzz.token_sort_ratio(utterance, other) / 100.0,
                        )
                    )
        return found + [
            c for c in self._preference_candidates(utterance, person.likes) if c.utterance not in known
        ]

    def _markov_candidates(self, utterance: str, nearest: Sequence[Candidate]) -> list[Candidate]:
        """The Markov rewrite of a request people said before, when retrieval did not find it."""
        target = self.markov_rewrite.get(utterance)
        if target is None or target == utterance or any(c.utterance == target for c in nearest):
            return []
        return [self._candidate(utterance, target, served=self.index.served_count(target))]

    def _corrections(self, utterance: str, known: set[str]) -> list[Candidate]:
        """The request with a word corrected as people corrected it (see ``WordEvidence``), or into a
        served word that sounds like it (``Phonetics``)."""
        found = [*self.evidence.corrections(utterance), *self.phonetics.corrections(utterance)]
        corrected = [c for c in dict.fromkeys(found) if c not in known]
        return [
            self._candidate(utterance, other, served=self.index.served_count(other)) for other in corrected
        ]

    def _meaning_candidates(
        self, utterance: str, rewrites: Mapping[str, MeaningMatch], known: set[str]
    ) -> list[Candidate]:
        """The request in the best-read wordings of its meaning that no other source proposed."""
        return [
            replace(self._candidate(utterance, text, served=self.index.served_count(text)), meaning=match)
            for text, match in rewrites.items()
            if text not in known
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
        person: PersonHistory,
        request: np.ndarray | None = None,
    ) -> list[Pair]:
        """Every candidate for the request, each with whether the personal layer proposed it (none
        for a person without a history: the global layer alone). A candidate that is also a wording of
        the request's meaning carries that meaning's evidence, whoever proposed it. ``request`` is the
        request's vector when the caller has it (``ServedIndex.vectors``)."""
        rewrites: dict[str, MeaningMatch] = {}
        for text, match in self.meanings.rewrites(utterance):
            rewrites.setdefault(text, match)

        def tagged(found: Iterable[Candidate]) -> list[Candidate]:
            return [
                replace(c, meaning=rewrites[c.utterance]) if c.utterance in rewrites else c for c in found
            ]

        personal = tagged(self._personal_candidates(utterance, person)) if person else []
        known = {c.utterance for c in personal}
        shared = [
            c for c in [*self._markov_candidates(utterance, nearest), *nearest] if c.utterance not in known
        ]
        known |= {c.utterance for c in shared}
        shared += self._corrections(utterance, known)
        shared = tagged(shared)
        known |= {c.utterance for c in shared}
        shared += self._meaning_candidates(utterance, rewrites, known)
        measured = self._measured(utterance, [*personal, *shared], request)
        return [(c, index < len(personal)) for index, c in enumerate(measured)]

    def person(self, user_key: str, likes: Sequence[str] = ()) -> PersonHistory:
        """The person's history, with ``likes`` (what they taught the assistant: the teachable store)
        beside the likes the logs show."""
        person = self.people.of(user_key)
        extra = [value for value in likes if value not in person.likes]
        if not extra:
            return person
        return PersonHistory(person.served, person.said, person.failed, person.fixed, [*person.likes, *extra])

    def candidates(self, utterance: str, user_key: str, likes: Sequence[str] = ()) -> list[Pair]:
        return self.combined(utterance, self.index.nearest(utterance), self.person(user_key, likes))

    # --- features and the decision ---------------------------------------------------------------
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

    def candidate_meaning(self, candidate: Candidate) -> Meaning | None:
        """What a candidate means: its meaning rewrite's, else what it meant when it served people."""
        return (
            candidate.meaning.meaning
            if candidate.meaning is not None
            else self.meanings.meaning(candidate.utterance)
        )

    def features(
        self, utterance: str, pairs: Sequence[Pair], person: PersonHistory = own.EMPTY, device: str = ""
    ) -> np.ndarray:
        """The ranker's rows, one per candidate (``FEATURES``), in one array."""
        hypotheses = {c.meaning.meaning for c, _ in pairs if c.meaning is not None}
        request_served = self._rate(self.index.served_count(utterance))
        request_failed = self._rate(self.failed_counts.get(utterance, 0))
        stay = self.stay.get(utterance, 0.0)
        base = self.evidence.failure_rate
        rows = []
        for candidate, personal in pairs:
            meaning = self.candidate_meaning(candidate) if hypotheses else None
            rows.append(
                [
                    candidate.ratio,
                    candidate.token_ratio,
                    candidate.similarity,
                    self._rate(candidate.served) if not personal else math.log1p(candidate.served),
                    request_served,
                    request_failed,
                    self.markov.get((utterance, candidate.utterance), 0.0),
                    stay,
                    1.0 if personal else 0.0,
                    self._device_share(candidate.utterance, device),
                    *self.evidence.features(utterance, candidate.utterance),
                    self.phonetics.likeness(*word_evidence.word_changes(utterance, candidate.utterance)),
                    *self.meanings.features(candidate.meaning),
                    1.0 if meaning is not None and meaning in hypotheses else 0.0,
                    *own.features(person, utterance, candidate.utterance, base),
                ]
            )
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))

    def _rate(self, count: int) -> float:
        """A count per thousand logged attempts, logged: the folds of cross-fitting see fewer logs
        than the served rewriter, and raw counts would mean less there than here."""
        return math.log1p(1000.0 * count / max(1, self.attempts_seen))

    def scored(
        self, utterance: str, user_key: str, device: str = "", likes: Sequence[str] = ()
    ) -> tuple[list[tuple[float, Candidate, bool]], PersonHistory]:
        person = self.person(user_key, likes)
        request = self.index.vectors([utterance])[0]  # one transform for the search and the candidates
        pairs = self.combined(utterance, self.index.nearest(utterance, request=request), person, request)
        if not pairs or self.model is None:
            return [], person
        scores = self.model.predict_proba(self.features(utterance, pairs, person, device))[:, 1]
        return ranked_by_score(scores.tolist(), pairs), person

    def decide(
        self, utterance: str, user_key: str = "", device: str = "", likes: Sequence[str] = ()
    ) -> Decision:
        """Rewrite when the best candidate's calibrated score clears the threshold of the view it was
        scored in: the global layer's without the person, the personal one's with their history."""
        ranked, person = self.scored(utterance, user_key, device, likes)
        if not ranked:
            return Decision(None, None, 0.0, "no served utterance is near this one")
        score, candidate, personal = ranked[0]
        if score < (self.personal_threshold if person else self.threshold):
            return Decision(None, None, score, "not confident enough to rewrite")
        if personal:
            return Decision(
                candidate.utterance, "personal", score, "the person's own wording that served them"
            )
        if candidate.meaning is not None:
            return Decision(
                candidate.utterance, "global", score, "a wording of the same meaning the assistant reads"
            )
        return Decision(candidate.utterance, "global", score, "a wording that served people who said this")

    def observe(self, attempt: Attempt, likes: Sequence[str] = ()) -> None:
        """A request as it is logged (and what the person said they like): the personal layer learns."""
        self.people.observe(attempt)
        self.people.like(attempt.user_key, likes)

    def with_people(self, people: PersonalLayer) -> Rewriter:
        """The same rewriter over other personal histories (a replay that learns without touching
        this one's)."""
        other = copy.copy(self)
        other.people = people
        return other

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


def ranked_by_score(scores: Sequence[float], pairs: Sequence[Pair]) -> list[tuple[float, Candidate, bool]]:
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
