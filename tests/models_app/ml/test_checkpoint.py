from __future__ import annotations

import json
import math

import pytest

from models_app.ml.data import DialogueExample
from models_app.ml.predict import Predictor, predict_with


def _confidences(prediction) -> list[float]:
    values = [prediction.goals.confidence] + [s.confidence for s in prediction.goal_success]
    for turn in prediction.turns:
        values += [
            turn.intent.confidence,
            turn.slots.confidence,
            turn.failure_point.confidence,
            turn.rephrase_of.confidence,
            turn.defect.confidence,
        ]
    return values


def test_a_saved_checkpoint_predicts_what_the_trained_model_did(trained_tiny, handmade_examples) -> None:
    trained, path = trained_tiny
    expected = predict_with(trained, handmade_examples)
    predictor = Predictor.load(path)
    actual = predictor.predict(handmade_examples, batch_size=3)
    assert [p.key for p in actual] == [e.key for e in handmade_examples]
    for mine, theirs in zip(actual, expected, strict=True):
        assert [t.intent.value for t in mine.turns] == [t.intent.value for t in theirs.turns]
        assert [t.slots.value for t in mine.turns] == [t.slots.value for t in theirs.turns]
        assert mine.goals.value == theirs.goals.value
        assert _confidences(mine) == pytest.approx(_confidences(theirs), abs=1e-5)
    assert predictor.inventories == trained.inventories and predictor.tasks == trained.tasks
    summary = json.loads((path / "checkpoint.json").read_text())
    assert set(summary["temperatures"]) >= {"intent", "slots", "failure_point"}
    assert "score" in summary["validation_metrics"]


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_every_precision_loads_and_gives_confidences_in_the_unit_interval(
    trained_tiny, handmade_examples: list[DialogueExample], precision: str
) -> None:
    _, path = trained_tiny
    predictions = Predictor.load(path, precision=precision, threads=1).predict(handmade_examples)
    assert len(predictions) == len(handmade_examples)
    for prediction, example in zip(predictions, handmade_examples, strict=True):
        assert len(prediction.turns) == len(example.turns)
        assert len(prediction.goal_success) == len(prediction.goals.value)
        assert all(0.0 <= c <= 1.0 and not math.isnan(c) for c in _confidences(prediction))


def test_an_empty_request_gives_no_predictions(trained_tiny) -> None:
    _, path = trained_tiny
    assert Predictor.load(path).predict([]) == []


def test_an_unknown_precision_is_refused(trained_tiny) -> None:
    _, path = trained_tiny
    with pytest.raises(ValueError):
        Predictor.load(path, precision="fp8")


def test_a_dialogue_without_turns_gets_an_empty_prediction(trained_tiny, handmade_examples) -> None:
    _, path = trained_tiny
    empty = DialogueExample(turns=[], key="empty")
    predictions = Predictor.load(path).predict([empty, *handmade_examples[:1]])
    assert predictions[0].key == "empty" and predictions[0].turns == [] and predictions[0].goals.value == []
    assert len(predictions[1].turns) == len(handmade_examples[0].turns)
