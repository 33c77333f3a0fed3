from __future__ import annotations

import pytest

from models_app.ml.config import ModelConfig
from models_app.ml.data import (
    NOT_A_REPHRASE,
    DialogueExample,
    DialoguePrediction,
    Predicted,
    Span,
    TurnInput,
    TurnPrediction,
    TurnTargets,
)
from models_app.ml.self_training import pseudo_labelled
from models_app.ml.train import train_model
from tests.models_app.ml.factories import fast_train_config


def _turn_prediction(intent: str, confidence: float, slot_confidence: float = 0.0) -> TurnPrediction:
    return TurnPrediction(
        intent=Predicted(intent, confidence),
        slots=Predicted([Span(5, 10, "song")], slot_confidence),
        failure_point=Predicted("none", confidence),
        rephrase_of=Predicted(NOT_A_REPHRASE, 0.2),
        defect=Predicted(False, 0.5),
    )


def _log(*utterances: str) -> DialogueExample:
    return DialogueExample(turns=[TurnInput(utterance=u) for u in utterances])


def test_only_labels_at_or_above_the_threshold_become_gold() -> None:
    prediction = DialoguePrediction(
        key=None,
        turns=[
            _turn_prediction("PlayMusic", 0.95, slot_confidence=0.91),
            _turn_prediction("GetWeather", 0.6),
        ],
        goals=Predicted([[0], [1]], 0.5),
        goal_success=[Predicted(True, 0.99), Predicted(False, 0.99)],
    )
    (labelled,) = pseudo_labelled([_log("play hello", "weather")], [prediction], threshold=0.9)
    first, second = labelled.targets
    assert (first.intent, first.failure_point, first.slots) == ("PlayMusic", "none", [Span(5, 10, "song")])
    assert first.rephrase_of is None and first.defect is None
    assert second == TurnTargets()
    # One unsure boundary could move two goals: an unsure segmentation teaches nothing.
    assert labelled.goals is None and labelled.goal_success is None


def test_a_confident_segmentation_brings_its_confident_outcomes() -> None:
    prediction = DialoguePrediction(
        key=None,
        turns=[_turn_prediction("PlayMusic", 0.2), _turn_prediction("PlayMusic", 0.2)],
        goals=Predicted([[0, 1]], 0.97),
        goal_success=[Predicted(True, 0.5)],
    )
    (labelled,) = pseudo_labelled([_log("play x", "play x please")], [prediction], threshold=0.9)
    assert labelled.goals == [[0, 1]] and labelled.goal_success == [None]


def test_a_logs_own_gold_is_never_overwritten() -> None:
    example = _log("play hello")
    example.targets = [TurnTargets(intent="AddToPlaylist")]
    prediction = DialoguePrediction(
        key=None, turns=[_turn_prediction("PlayMusic", 0.99)], goals=Predicted([[0]], 0.1)
    )
    (labelled,) = pseudo_labelled([example], [prediction], threshold=0.9)
    assert labelled.targets[0].intent == "AddToPlaylist"
    assert labelled.targets[0].failure_point == "none"


def test_dialogues_with_nothing_confident_are_left_out() -> None:
    prediction = DialoguePrediction(
        key=None, turns=[_turn_prediction("PlayMusic", 0.3)], goals=Predicted([[0]], 0.3)
    )
    assert pseudo_labelled([_log("mumble")], [prediction], threshold=0.9) == []


def test_a_threshold_outside_0_1_and_unknown_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        pseudo_labelled([], [], threshold=0.0)
    with pytest.raises(ValueError, match="unknown turn labels"):
        pseudo_labelled([], [], threshold=0.9, labels=("sentiment",))


def test_self_training_labels_the_unlabelled_logs_and_trains_on_them(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    unlabelled = [
        DialogueExample(turns=example.turns, device_type=example.device_type) for example in handmade_examples
    ]
    trained = train_model(
        handmade_examples * 2,
        handmade_examples,
        tiny_model_config,
        fast_train_config(epochs=6, self_training_epochs=2, self_training_threshold=0.5),
        unlabelled=unlabelled,
    )
    supervised_only = train_model(
        handmade_examples * 2, handmade_examples, tiny_model_config, fast_train_config(epochs=6)
    )
    assert trained.history["self_training_dialogues"] > 0
    assert trained.history["total_steps"] > supervised_only.history["total_steps"]
    assert "self_training_dialogues" not in supervised_only.history
    assert trained.temperatures


def test_without_unlabelled_logs_self_training_is_off(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    trained = train_model(
        handmade_examples, None, tiny_model_config, fast_train_config(epochs=1, self_training_epochs=3)
    )
    assert "self_training_dialogues" not in trained.history
