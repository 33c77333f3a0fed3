"""The global layer's retrieval: the utterances that served people, in a CPU vector index.

An utterance becomes a 128-wide vector: hashed character 2- to 4-grams (so "purple reign" lands near
"purple rain", as a misheard word does), weighted by TF-IDF and reduced by truncated SVD (scikit-learn),
then normalised; an HNSW graph (faiss) finds the nearest served utterances in well under a
millisecond. The candidates are then scored with rapidfuzz's edit-distance ratios, for the ranker.

No neural encoder runs per request: the character space is what ASR errors live in, and it keeps the
p99 within the latency budget on a CPU (see bench/rewrites.py).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np
from rapidfuzz import fuzz
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

if TYPE_CHECKING:
    from rewrites.engine.meaning import MeaningMatch

WIDTH = 128
NEIGHBOURS = 8


@dataclass(frozen=True)
class Candidate:
    utterance: str
    served: int  # how often it served people as it was
    similarity: float  # cosine in the reduced space
    ratio: float  # rapidfuzz ratio / 100
    token_ratio: float  # rapidfuzz token-sort ratio / 100
    meaning: MeaningMatch | None = None  # set where it rewrites the request by meaning (meaning.py)


class ServedIndex:
    """Nearest served utterances to a request."""

    def __init__(self, utterances: Sequence[str], served: Sequence[int], *, seed: int = 0) -> None:
        if not utterances:
            raise ValueError("an index needs at least one served utterance")
        self.utterances = list(utterances)
        self.served = np.asarray(served, dtype=np.int64)
        self.lookup = {utterance: position for position, utterance in enumerate(self.utterances)}
        self.hasher = HashingVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), n_features=2**16, alternate_sign=False, norm=None
        )
        counts = self.hasher.transform(self.utterances)
        tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.idf = tfidf.idf_.astype(np.float32)
        weighted = tfidf.transform(counts)
        width = max(1, min(WIDTH, weighted.shape[0] - 1, weighted.shape[1] - 1))
        with np.errstate(invalid="ignore", divide="ignore"):  # one or two utterances have no variance
            svd = TruncatedSVD(n_components=width, random_state=seed).fit(weighted)
        # The SVD as a plain projection matrix, row per hashed n-gram: a request has a few dozen
        # n-grams, so its vector is a sum of that many rows (scikit-learn's transform multiplies by
        # the whole 65,536-wide matrix, 10 ms a request).
        self.projection = np.ascontiguousarray(svd.components_.T, dtype=np.float32)
        vectors = self._normalised(svd.transform(weighted))
        graph = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 100
        graph.add(vectors)
        graph.hnsw.efSearch = 64
        self.graph: faiss.Index = graph

    @staticmethod
    def _normalised(vectors: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def vectors(self, utterances: Sequence[str]) -> np.ndarray:
        """Each utterance's unit vector. TF-IDF by hand on the hashed counts (sublinear tf times idf:
        scikit-learn's transformer computes the same, with a millisecond of checks per call), then the
        sum of the projection's rows for the n-grams present; the row norm of TF-IDF is left out, as
        the final normalisation removes it anyway."""
        counts = self.hasher.transform(utterances).tocsr()
        weights = (np.log(counts.data) + 1.0) * self.idf[counts.indices]
        reduced = np.zeros((counts.shape[0], self.projection.shape[1]), dtype=np.float32)
        for row in range(counts.shape[0]):
            start, end = counts.indptr[row], counts.indptr[row + 1]
            reduced[row] = weights[start:end] @ self.projection[counts.indices[start:end]]
        return self._normalised(reduced)

    def closeness(
        self, utterance: str, others: Sequence[str], request: np.ndarray | None = None
    ) -> list[float]:
        """Each of ``others``' cosine with ``utterance`` in the reduced space. A served wording's vector
        is the one the index holds; the others are computed in one transform, with the request's
        unless ``request`` (its vector, as ``vectors`` gives it) is passed."""
        positions = [self.lookup.get(other) for other in others]
        held = [n for n, position in enumerate(positions) if position is not None]
        new = [n for n, position in enumerate(positions) if position is None]
        asked = ([] if request is not None else [utterance]) + [others[n] for n in new]
        computed = self.vectors(asked) if asked else None
        if request is None:
            assert computed is not None
            request, computed = computed[0], computed[1:]
        rows = np.empty((len(others), len(request)), dtype=np.float32)
        if held:
            rows[held] = self.graph.reconstruct_batch(np.array([positions[n] for n in held], dtype=np.int64))
        if new:
            rows[new] = computed
        closeness: list[float] = (rows @ request).tolist()
        return closeness

    def served_count(self, utterance: str) -> int:
        position = self.lookup.get(utterance)
        return 0 if position is None else int(self.served[position])

    def nearest(
        self, utterance: str, k: int = NEIGHBOURS, request: np.ndarray | None = None
    ) -> list[Candidate]:
        """The served utterances nearest to ``utterance`` (itself excluded), best first; ``request``
        is its vector when the caller has it."""
        if request is None:
            return self.nearest_many([utterance], k)[0]
        k = min(k + 1, len(self.utterances))
        scores, labels = self.graph.search(request[None, :], k)
        return self._candidates(utterance, labels[0], scores[0])

    def nearest_many(self, utterances: Sequence[str], k: int = NEIGHBOURS) -> list[list[Candidate]]:
        """``nearest`` for many utterances at once: one transform and one index search for all."""
        if not utterances:
            return []
        k = min(k + 1, len(self.utterances))
        scores, labels = self.graph.search(self.vectors(utterances), k)
        return [
            self._candidates(utterance, row_labels, row_scores)
            for utterance, row_labels, row_scores in zip(utterances, labels, scores, strict=True)
        ]

    def _candidates(self, utterance: str, labels: np.ndarray, scores: np.ndarray) -> list[Candidate]:
        found = []
        for position, score in zip(labels, scores, strict=True):
            if position < 0:
                continue
            other = self.utterances[int(position)]
            if other == utterance:
                continue
            found.append(
                Candidate(
                    utterance=other,
                    served=int(self.served[int(position)]),
                    similarity=float(score),
                    ratio=fuzz.ratio(utterance, other) / 100.0,
                    token_ratio=fuzz.token_sort_ratio(utterance, other) / 100.0,
                )
            )
        found.sort(key=lambda c: (-c.ratio, -c.served, c.utterance))
        return found

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.graph, str(path.with_suffix(".faiss")))
        state = {key: value for key, value in self.__dict__.items() if key != "graph"}
        with path.open("wb") as out:
            pickle.dump(state, out)

    @classmethod
    def load(cls, path: Path) -> ServedIndex:
        index = cls.__new__(cls)
        with path.open("rb") as source:
            state = pickle.load(source)  # our own file, written by save()
        if "projection" not in state:  # an index saved before the projection and idf were kept
            state["projection"] = np.ascontiguousarray(state.pop("svd").components_.T, dtype=np.float32)
            state["idf"] = state.pop("tfidf").idf_.astype(np.float32)
        index.__dict__.update(state)
        graph = faiss.read_index(str(path.with_suffix(".faiss")))
        faiss.ParameterSpace().set_index_parameter(graph, "efSearch", 64)
        index.graph = graph
        return index
