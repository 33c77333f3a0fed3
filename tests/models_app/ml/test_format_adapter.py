from __future__ import annotations

from models_app.ml.data import NO_INTENT, NOT_A_REPHRASE, Span
from models_app.ml.format_adapter import example_from_format, spans_to_format
from tests.models_app.ml.factories import handmade_dialogues


def test_it_reads_turn_inputs_device_and_time_gaps() -> None:
    example = example_from_format(handmade_dialogues()[1])
    assert example.key == "b"
    assert example.device_type == "display" and example.has_screen is True
    assert [t.seconds_since_previous for t in example.turns] == [None, 20.0, 30.0]
    assert example.turns[2].status == "ERROR" and example.turns[2].feedback == "negative"


def test_it_maps_labels_to_indices_and_sentinels() -> None:
    example = example_from_format(handmade_dialogues()[2])
    assert example.goals == [[0, 1, 2]] and example.goal_success == [False]
    assert [t.rephrase_of for t in example.targets] == [NOT_A_REPHRASE, NOT_A_REPHRASE, 0]
    assert example.targets[0].slots == [Span(6, 11, "dish", "pizza")]
    false_wake = example_from_format(handmade_dialogues()[1]).targets[1]
    assert false_wake.intent == NO_INTENT and false_wake.failure_point == "false_wake"


def test_absent_label_keys_are_no_gold() -> None:
    example = example_from_format(
        {"id": "x", "turns": [{"utterance": "hi"}], "labels": {"turns": {"t1": {"intent": "greet"}}}}
    )
    (targets,) = example.targets
    assert targets.intent == "greet"
    assert targets.slots is None and targets.failure_point is None and targets.rephrase_of is None
    assert targets.defect is None and example.goals is None
    assert example_from_format({"id": "y", "turns": [{"utterance": ""}]}).targets is None


def test_spans_to_format_writes_format_spans() -> None:
    assert spans_to_format([Span(0, 4, "city", "rome")]) == [
        {"start": 0, "end": 4, "type": "city", "value": "rome"}
    ]


def test_it_keeps_the_assistants_own_slots_as_input() -> None:
    example = example_from_format(
        {
            "id": "z",
            "turns": [
                {
                    "utterance": "traffic in kansas city",
                    "slots": [{"start": 11, "end": 22, "type": "place", "value": "Kansas City, KS"}],
                }
            ],
        }
    )
    assert example.turns[0].slots == [Span(11, 22, "place", "Kansas City, KS")]
