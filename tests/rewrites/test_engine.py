from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from rewrites.engine.chains import Chain, dialogue_chains, normalise
from rewrites.engine.markov import RephraseGraph, solve


def _dialogue(*utterances: str, links: dict[str, str], served_last: bool = True, times=None) -> dict:
    turns = [{"id": f"t{n + 1}", "utterance": u} for n, u in enumerate(utterances)]
    for turn, moment in zip(turns, times or [], strict=False):
        turn["timestamp"] = moment
    labels = {turn_id: {"rephrase_of": source} for turn_id, source in links.items()}
    labels.setdefault(f"t{len(turns)}", {})["defect"] = not served_last
    return {"id": "d1", "user_id": "u1", "turns": turns, "labels": {"turns": labels}}


def test_a_chain_follows_rephrase_links_and_ends_served_or_not() -> None:
    (chain,) = dialogue_chains(
        _dialogue(
            "Play Purple Rain!", "play purple rain please", "play purple haze", links={"t2": "t1", "t3": "t2"}
        )
    )
    assert chain.utterances == ("play purple rain", "play purple rain please", "play purple haze")
    assert chain.succeeded and chain.turn_ids == ("t1", "t2", "t3")
    (failed,) = dialogue_chains(_dialogue("a b", "a c", links={"t2": "t1"}, served_last=False))
    assert not failed.succeeded


def test_a_rephrase_too_long_after_starts_nothing_and_lone_turns_are_no_chain() -> None:
    late = _dialogue(
        "play x", "play y", links={"t2": "t1"}, times=["2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"]
    )
    assert dialogue_chains(late) == []
    assert dialogue_chains(_dialogue("hello", links={})) == []


def test_normalising_keeps_words_and_apostrophes() -> None:
    assert normalise("  What's   the WEATHER?! ") == "what's the weather"


def _chain(*utterances: str, succeeded: bool = True, user: str = "u1") -> Chain:
    return Chain("d", user, tuple(f"t{n}" for n in range(len(utterances))), utterances, succeeded)


def test_the_rewrite_is_the_wording_most_likely_to_serve_and_its_probability_is_exact() -> None:
    chains = [
        _chain("play purple rain", "play purple haze", user="u1"),
        _chain("play purple rain", "play purple rain please", "play purple haze", user="u2"),
        _chain("play purple rain", "play prince purple rain", succeeded=False, user="u3"),
    ]
    rewrites, report = solve(RephraseGraph().add_all(chains))
    best = {r.source: r for r in rewrites}
    assert best["play purple rain"].target == "play purple haze"
    assert best["play purple rain"].probability == pytest.approx(2 / 3, abs=1e-5)
    assert (best["play purple rain"].support, best["play purple rain"].users) == (3, 3)
    assert report.converged and report.transitions == 7


def test_the_sparse_fixed_point_equals_the_dense_solution_on_a_graph_with_cycles() -> None:
    chains = [
        _chain("a", "b", "a", "c"),
        _chain("a", "b", "d", succeeded=False),
        _chain("b", "a", "c"),
        _chain("b", "e"),
        _chain("a", "e"),
    ]
    graph = RephraseGraph().add_all(chains)
    rewrites, _ = solve(graph, prune=0.0, tolerance=1e-12, max_iterations=500)
    # The textbook solve: B = (I - Q)^-1 R with dense matrices, for comparison only.
    states = sorted({"a", "b", "c", "d", "e"})
    targets = sorted(graph.served)
    at = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    r = np.zeros((len(states), len(targets) + 1))
    for (source, target), count in graph.steps.items():
        q[at[source], at[target]] += count
    for utterance, count in graph.served.items():
        r[at[utterance], targets.index(utterance)] += count
    for utterance, count in graph.unserved.items():
        r[at[utterance], -1] += count
    totals = q.sum(axis=1) + r.sum(axis=1)
    q, r = q / totals[:, None], r / totals[:, None]
    dense = np.linalg.solve(np.eye(len(states)) - q, r)
    for rewrite in rewrites:
        assert rewrite.probability == pytest.approx(
            dense[at[rewrite.source], targets.index(rewrite.target)], abs=1e-6
        )
    assert sp.issparse(sp.csr_matrix(q))  # the engine never builds the dense inverse; this test does


def test_an_utterance_never_followed_by_a_served_wording_gets_no_rewrite() -> None:
    rewrites, _ = solve(RephraseGraph().add_all([_chain("x", "y", succeeded=False)]))
    assert rewrites == []
