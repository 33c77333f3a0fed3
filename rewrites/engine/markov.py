"""Absorbing Markov chains over people's rephrases (Ponnusamy et al., AAAI 2020), solved sparsely.

Every normalised utterance is a transient state. Each chain contributes its steps (utterance ->
the rephrase that followed), then one step from its last utterance into an absorbing state: "served
by v" (one per utterance v that ended a chain successfully) or "never served". The absorption
probabilities B = (I - Q)^-1 R say, for a failing utterance u, how likely people who said u end up
served, and by which wording; the best wording v != u is u's rewrite.

B is never formed densely and (I - Q) is never inverted: B is the fixed point of B = R + Q B, reached
by sparse products from B = R, with entries under ``prune`` dropped after each step, so memory stays
proportional to the transitions (chains are short, so a handful of steps converge).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rewrites.engine.chains import Chain

NEVER_SERVED = -1


@dataclass(frozen=True)
class Rewrite:
    source: str
    target: str
    probability: float  # of being served by ``target`` having said ``source``
    support: int  # chains that went through ``source``
    users: int  # distinct people among them
    # Of being served by ``source`` itself: what leaving the request alone gives (a rewrite must beat it).
    stay: float = 0.0


@dataclass
class SolveReport:
    states: int
    absorbing: int
    transitions: int
    iterations: int
    converged: bool


class RephraseGraph:
    """Transition counts between utterances, and into "served by v" / "never served"."""

    def __init__(self) -> None:
        self.steps: Counter[tuple[str, str]] = Counter()
        self.served: Counter[str] = Counter()  # chains that ended served by this utterance
        self.unserved: Counter[str] = Counter()  # chains that ended unserved at this utterance
        self.through: Counter[str] = Counter()  # chains with this utterance before their last step
        self.users: defaultdict[str, set[str]] = defaultdict(set)

    def add(self, chain: Chain) -> None:
        """A chain of rephrases, or a single request with its outcome (it counts toward "served by
        itself" or "never served", which a rewrite of it has to beat)."""
        utterances = [u for u in chain.utterances if u]
        if not utterances:
            return
        if len(utterances) == 1:
            (self.served if chain.succeeded else self.unserved)[utterances[0]] += 1
            return
        for source, target in itertools.pairwise(utterances):
            if source != target:
                self.steps[(source, target)] += 1
        for utterance in set(utterances[:-1]):
            self.through[utterance] += 1
            if chain.user_key:
                self.users[utterance].add(chain.user_key)
        (self.served if chain.succeeded else self.unserved)[utterances[-1]] += 1

    def add_all(self, chains: Iterable[Chain]) -> RephraseGraph:
        for chain in chains:
            self.add(chain)
        return self

    @property
    def transitions(self) -> int:
        return sum(self.steps.values()) + sum(self.served.values()) + sum(self.unserved.values())


def solve(
    graph: RephraseGraph, *, prune: float = 1e-4, tolerance: float = 1e-6, max_iterations: int = 100
) -> tuple[list[Rewrite], SolveReport]:
    """Each utterance people rephrased, with the wording most likely to serve them and how likely."""
    states = sorted({u for pair in graph.steps for u in pair} | set(graph.served) | set(graph.unserved))
    index = {utterance: position for position, utterance in enumerate(states)}
    targets = sorted(graph.served)
    column = {utterance: position for position, utterance in enumerate(targets)}
    never = len(targets)  # the "never served" column
    n, m = len(states), len(targets) + 1
    rows, cols, counts = [], [], []
    for (source, target), count in graph.steps.items():
        rows.append(index[source])
        cols.append(index[target])
        counts.append(count)
    q = sp.csr_matrix((np.array(counts, dtype=np.float64), (rows, cols)), shape=(n, n))
    r_rows = [index[u] for u in graph.served] + [index[u] for u in graph.unserved]
    r_cols = [column[u] for u in graph.served] + [never] * len(graph.unserved)
    r_counts = list(graph.served.values()) + list(graph.unserved.values())
    r = sp.csr_matrix((np.array(r_counts, dtype=np.float64), (r_rows, r_cols)), shape=(n, m))
    totals = np.asarray(q.sum(axis=1)).ravel() + np.asarray(r.sum(axis=1)).ravel()
    scale = sp.diags(np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0))
    q, r = (scale @ q).tocsr(), (scale @ r).tocsr()
    b = r.copy()
    converged = False
    iterations = 0
    while not converged and iterations < max_iterations:
        iterations += 1
        following = (r + q @ b).tocsr()
        following.data[following.data < prune] = 0.0
        following.eliminate_zeros()
        change = abs(following - b).max() if following.nnz or b.nnz else 0.0
        b = following
        converged = change < tolerance
    rewrites: list[Rewrite] = []
    b = b.tocsr()
    for source, through in graph.through.items():
        # The row's entries straight from the CSR arrays (a row object per utterance costs more).
        first, last = b.indptr[index[source]], b.indptr[index[source] + 1]
        best: tuple[float, str] | None = None
        stay = 0.0
        for col, probability in zip(b.indices[first:last], b.data[first:last], strict=True):
            if col == never:
                continue
            target = targets[col]
            if target == source:
                stay = float(probability)
                continue
            if best is None or probability > best[0] or (probability == best[0] and target < best[1]):
                best = (float(probability), target)
        if best is not None:
            rewrites.append(
                Rewrite(source, best[1], round(best[0], 6), through, len(graph.users[source]), round(stay, 6))
            )
    rewrites.sort(key=lambda rewrite: (-rewrite.probability, -rewrite.support, rewrite.source))
    report = SolveReport(
        states=n, absorbing=m, transitions=graph.transitions, iterations=iterations, converged=converged
    )
    return rewrites, report
