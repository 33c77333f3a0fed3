from __future__ import annotations

import numpy as np
import pytest
import torch

from models_app.ml.data import TurnInput
from models_app.ml.decoding import _allowed_transitions, _without_unevidenced_failures, bio_viterbi

TAGS = ("O", "B-city", "I-city", "B-time", "I-time")


def _log(rows: list[list[float]]) -> np.ndarray:
    return np.log(np.array(rows))


def test_viterbi_agrees_with_the_argmax_when_that_is_valid_bio() -> None:
    probs = [[0.1, 0.8, 0.05, 0.03, 0.02], [0.1, 0.1, 0.7, 0.05, 0.05], [0.9, 0.02, 0.04, 0.02, 0.02]]
    assert bio_viterbi(_log(probs), _allowed_transitions(TAGS)) == [1, 2, 0]


def test_viterbi_never_starts_a_span_with_an_inside_tag() -> None:
    # Per word the argmax is "O I-city", which is not valid BIO; the best valid sequence is "O B-city".
    probs = [[0.9, 0.04, 0.02, 0.02, 0.02], [0.1, 0.3, 0.5, 0.05, 0.05]]
    assert bio_viterbi(_log(probs), _allowed_transitions(TAGS)) == [0, 1]


def test_viterbi_does_not_continue_a_span_of_another_type() -> None:
    # "B-city I-time" is invalid; "B-city I-city" (0.6 * 0.4) beats "B-city B-time" (0.6 * 0.05).
    probs = [[0.1, 0.6, 0.1, 0.1, 0.1], [0.05, 0.05, 0.4, 0.05, 0.45]]
    assert bio_viterbi(_log(probs), _allowed_transitions(TAGS)) == [1, 2]


def test_viterbi_reads_a_single_word() -> None:
    assert bio_viterbi(_log([[0.2, 0.1, 0.5, 0.1, 0.1]]), _allowed_transitions(TAGS)) == [0]


def _failure_probabilities(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def test_a_turn_without_aftermath_is_never_called_a_false_wake_or_a_result_error():
    names = ("none", "false_wake", "asr", "nlu", "entity", "result")
    probabilities = _failure_probabilities([[0.1, 0.5, 0.1, 0.1, 0.0, 0.2], [0.1, 0.5, 0.1, 0.1, 0.0, 0.2]])
    turns = [TurnInput(utterance="play jazz", intent="PlayMusic"), TurnInput(utterance="hm", response="OK.")]
    masked = _without_unevidenced_failures(probabilities, turns, names)
    # The voice command alone: false wake and result get nothing, the rest shares their probability.
    assert masked[0].tolist() == pytest.approx([1 / 3, 0.0, 1 / 3, 1 / 3, 0.0, 0.0])
    # A turn with a response keeps every class.
    assert masked[1].tolist() == pytest.approx(probabilities[1].tolist())
