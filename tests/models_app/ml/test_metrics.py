from __future__ import annotations

import json

import pytest

from models_app.ml.data import (
    NO_INTENT,
    NOT_A_REPHRASE,
    DialogueExample,
    DialoguePrediction,
    Predicted,
    Span,
    TurnInput,
    TurnPrediction,
    TurnTargets,
)
from models_app.ml.metrics import evaluate, reliability, word_tags


def _prediction(
    turns: list[dict], goals: list[list[int]] | None = None, success: list[bool] | None = None
) -> DialoguePrediction:
    return DialoguePrediction(
        key=None,
        turns=[
            TurnPrediction(
                intent=Predicted(t.get("intent", NO_INTENT), 1.0),
                slots=Predicted(t.get("slots", []), 1.0),
                failure_point=Predicted(t.get("failure_point", "none"), 1.0),
                rephrase_of=Predicted(t.get("rephrase_of", NOT_A_REPHRASE), 1.0),
                defect=Predicted(t.get("defect", False), 1.0),
            )
            for t in turns
        ],
        goals=Predicted(goals or [], 1.0),
        goal_success=[Predicted(s, 1.0) for s in success or []],
    )


def test_word_tags_follow_character_spans() -> None:
    assert word_tags("play  purple haze now", [Span(6, 17, "song")]) == ["O", "B-song", "I-song", "O"]


def test_intent_and_slot_scores_on_a_known_case() -> None:
    utterances = ["play purple haze by jimi hendrix", "weather in paris", "wake me at 7", "hello"]
    gold = [
        TurnTargets(intent="PlayMusic", slots=[Span(5, 16, "song"), Span(20, 32, "artist")]),
        TurnTargets(intent="GetWeather", slots=[Span(11, 16, "city")]),
        TurnTargets(intent="SetAlarm", slots=[Span(11, 12, "time")]),
        TurnTargets(intent="greet", slots=[]),
    ]
    examples = [
        DialogueExample(turns=[TurnInput(u)], targets=[g]) for u, g in zip(utterances, gold, strict=True)
    ]
    predictions = [
        _prediction(
            [{"intent": "PlayMusic", "slots": [Span(5, 16, "song"), Span(20, 32, "album")]}]
        ),  # 1 of 2 right
        _prediction([{"intent": "GetWeather", "slots": [Span(11, 16, "city")]}]),  # right
        _prediction([{"intent": "SetTimer", "slots": [Span(11, 12, "time")]}]),  # slot right, intent wrong
        _prediction([{"intent": "greet", "slots": [Span(0, 5, "person")]}]),  # a spurious slot
    ]
    metrics = evaluate(examples, predictions)
    assert metrics["intent_accuracy"] == pytest.approx(0.75)
    # 4 gold spans, 5 predicted, 3 right.
    assert metrics["slot_precision"] == pytest.approx(3 / 5)
    assert metrics["slot_recall"] == pytest.approx(3 / 4)
    assert metrics["slot_f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert metrics["frame_exact_match"] == pytest.approx(0.25)
    assert "failure_point_accuracy" not in metrics and "goal_boundary_f1" not in metrics
    assert metrics["counts"]["intent_turns"] == 4
    json.dumps(metrics)


def test_dialogue_scores_on_a_known_case() -> None:
    turns = [TurnInput(u) for u in ("play x", "play x please", "stop", "play y")]
    targets = [
        TurnTargets(failure_point="asr", rephrase_of=NOT_A_REPHRASE, defect=True),
        TurnTargets(failure_point="none", rephrase_of=0, defect=False),
        TurnTargets(failure_point="none", rephrase_of=NOT_A_REPHRASE, defect=False),
        TurnTargets(failure_point="nlu", rephrase_of=2, defect=True),
    ]
    example = DialogueExample(
        turns=turns, targets=targets, goals=[[0, 1], [2], [3]], goal_success=[True, True, False]
    )
    prediction = _prediction(
        [
            {"failure_point": "asr", "defect": True},
            {"failure_point": "none", "rephrase_of": 0},
            {"failure_point": "nlu", "defect": True, "rephrase_of": 1},  # a wrong rephrase: FP
            {"failure_point": "nlu", "defect": True, "rephrase_of": 1},  # wrong target: FP and FN
        ],
        goals=[[0, 1], [2, 3]],
        success=[True, False],
    )
    metrics = evaluate([example], [prediction])
    assert metrics["failure_point_accuracy"] == pytest.approx(0.75)
    assert metrics["failure_point_f1"]["asr"] == pytest.approx(1.0)
    assert metrics["failure_point_f1"]["nlu"] == pytest.approx(2 / 3)
    # Gold rows, predicted columns: one fine turn was taken for an NLU error.
    assert metrics["failure_point_confusion"] == {
        "labels": ["none", "asr", "nlu"],
        "matrix": [[1, 0, 1], [0, 1, 0], [0, 0, 1]],
    }
    # Rephrases: TP 1, FP 2, FN 1.
    assert metrics["rephrase_f1"] == pytest.approx(2 * 1 / (2 * 1 + 2 + 1))
    # Defects: TP 2, FP 1, FN 0.
    assert metrics["defect_f1"] == pytest.approx(0.8)
    # Goal starts gold [1, 0, 1, 1], predicted [1, 0, 1, 0]: TP 2, FN 1.
    assert metrics["goal_boundary_f1"] == pytest.approx(0.8)
    assert metrics["goal_exact_segment_accuracy"] == 0.0
    # Only the goal [0, 1] was segmented exactly, and its success is right.
    assert metrics["goal_success_accuracy"] == 1.0
    assert metrics["counts"]["goal_success_goals"] == 1


def test_it_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        evaluate([DialogueExample(turns=[TurnInput("x")])], [])


def test_reliability_bins_confidences_and_measures_how_far_they_can_be_trusted() -> None:
    from sklearn.calibration import calibration_curve

    right = [1, 1, 0, 1, 0, 1, 1, 0]
    confidence = [0.95, 0.9, 0.55, 0.52, 0.2, 1.0, 0.65, 0.61]
    measured = reliability(right, confidence)
    accuracy, means = calibration_curve(right, confidence, n_bins=10)
    assert [row[1] for row in measured["bins"]] == [round(float(a), 4) for a in accuracy]
    assert [row[0] for row in measured["bins"]] == [round(float(m), 4) for m in means]
    assert sum(row[2] for row in measured["bins"]) == measured["predictions"] == 8
    assert 0.0 < measured["ece"] < 1.0 and 0.0 < measured["brier"] < 1.0
    # Confidences that name their accuracy exactly have no calibration error.
    assert reliability([1, 1, 1, 1], [1.0, 1.0, 1.0, 1.0])["ece"] == 0.0


def test_an_evaluation_reports_the_reliability_of_each_label_it_scored() -> None:
    turns = [TurnInput(u) for u in ("play x", "play x please")]
    targets = [
        TurnTargets(intent="play", failure_point="asr", rephrase_of=NOT_A_REPHRASE, defect=True),
        TurnTargets(intent="play", failure_point="none", rephrase_of=0, defect=False),
    ]
    example = DialogueExample(turns=turns, targets=targets)
    prediction = _prediction(
        [{"intent": "play", "failure_point": "none", "defect": True}, {"intent": "stop", "rephrase_of": 0}]
    )
    calibration = evaluate([example], [prediction])["calibration"]
    assert set(calibration) == {"intent", "failure_point", "rephrase", "defect"}
    # Every confidence is 1.0: right half the time is a calibration error of a half.
    assert calibration["intent"]["ece"] == pytest.approx(0.5)
    assert calibration["defect"]["ece"] == pytest.approx(0.0)
    json.dumps(calibration)
