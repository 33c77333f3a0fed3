from __future__ import annotations

import numpy as np

from rewrites.engine.retrieval import ServedIndex

SERVED = [
    ("play purple rain", 12),
    ("play purple haze", 9),
    ("what's the weather in springfield", 7),
    ("set an alarm for seven am", 5),
    ("turn on the kitchen lights", 4),
    ("play some jazz", 3),
]


def _index() -> ServedIndex:
    return ServedIndex([u for u, _ in SERVED], [n for _, n in SERVED])


def test_a_misheard_request_finds_the_served_wording_it_was_meant_as() -> None:
    best = _index().nearest("play purple reign")[0]
    assert best.utterance == "play purple rain" and best.served == 12
    assert best.ratio > 0.9 and best.similarity > 0.5


def test_an_utterance_is_never_its_own_neighbour_and_counts_are_kept() -> None:
    index = _index()
    assert all(c.utterance != "play purple rain" for c in index.nearest("play purple rain"))
    assert index.served_count("play some jazz") == 3 and index.served_count("never said") == 0


def test_the_index_saves_and_loads_to_the_same_answers(tmp_path) -> None:
    index = _index()
    index.save(tmp_path / "index.pkl")
    loaded = ServedIndex.load(tmp_path / "index.pkl")
    assert loaded.nearest("turn on kitchen light") == index.nearest("turn on kitchen light")


def test_closeness_is_the_cosine_of_the_vectors_whether_the_wording_is_served_or_new() -> None:
    index = _index()
    others = ["play purple haze", "play purple reign", "play some jazz"]  # served, new, served
    vectors = index.vectors(["play purple rain", *others])

    measured = index.closeness("play purple rain", others)
    with_the_request_given = index.closeness("play purple rain", others, request=vectors[0])

    np.testing.assert_allclose(measured, vectors[1:] @ vectors[0], atol=1e-5)
    assert with_the_request_given == measured
    assert measured[0] > measured[2]  # a misheard word is nearer than another song
    assert index.closeness("play purple rain", []) == []
