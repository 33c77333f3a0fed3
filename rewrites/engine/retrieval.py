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

import faiss
import numpy as np
from rapidfuzz import fuzz
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

WIDTH = 128
NEIGHBOURS = 8


@dataclass(frozen=True)
class Candidate:
    utterance: str
    served: int  # how often it served people as it was
    similarity: float  # cosine in the reduced space
    ratio: float  # rapidfuzz ratio / 100
    token_ratio: float  # rapidfuzz token-sort ratio / 100


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
        self.tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        weighted = self.tfidf.transform(counts)
        width = max(1, min(WIDTH, weighted.shape[0] - 1, weighted.shape[1] - 1))
        self.svd = TruncatedSVD(n_components=width, random_state=seed).fit(weighted)
        vectors = self._normalised(self.svd.transform(weighted))
        graph = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 100
        graph.add(vectors)
        graph.hnsw.efSearch = 64
        self.graph: faiss.Index = graph

    @staticmethod
    def _normalised(vectors: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def vector(self, utterance: str) -> np.ndarray:
        weighted = self.tfidf.transform(self.hasher.transform([utterance]))
        return self._normalised(self.svd.transform(weighted))

    def served_count(self, utterance: str) -> int:
        position = self.lookup.get(utterance)
        return 0 if position is None else int(self.served[position])

    def nearest(self, utterance: str, k: int = NEIGHBOURS) -> list[Candidate]:
        """The served utterances nearest to ``utterance`` (itself excluded), best first."""
        k = min(k + 1, len(self.utterances))
        scores, labels = self.graph.search(self.vector(utterance), k)
        found = []
        for position, score in zip(labels[0], scores[0], strict=True):
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
            index.__dict__.update(pickle.load(source))  # our own file, written by save()
        graph = faiss.read_index(str(path.with_suffix(".faiss")))
        faiss.ParameterSpace().set_index_parameter(graph, "efSearch", 64)
        index.graph = graph
        return index
