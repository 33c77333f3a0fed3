"""Single voice commands from simulated dialogues: one request, what a command log records of it, and
its gold; nothing that came after it."""

from __future__ import annotations

import pytest

from annotations.models import Dialogue, Label, Turn
from models_app.recipes.commands import single_commands
from models_app.recipes.run import simulated_commands

DIALOGUE = {
    "id": "sim-1",
    "user_id": "u1",
    "turns": [
        {
            "id": "t1",
            "utterance": "play purple hays",
            "response": "Playing Purple Rain.",
            "status": "SUCCESS",
            "barge_in": True,
            "asr_confidence": 0.6,
            "intent": "PlayMusic",
            "slots": [{"start": 5, "end": 16, "type": "song"}],
        },
        {"id": "t2", "utterance": "hey", "response": "Sorry?"},
        {"id": "t3", "utterance": "play purple haze", "response": "Here's the weather."},
        {"id": "t4", "utterance": "I like jazz", "response": "Noted."},
    ],
    "labels": {
        "turns": {
            "t1": {"intent": "PlayMusic", "slots": [], "failure_point": "asr", "defect": True},
            "t2": {"intent": None, "failure_point": "false_wake"},
            "t3": {"intent": "PlayMusic", "failure_point": "result"},
            "t4": {"intent": "Teach"},
        }
    },
}


def test_a_request_becomes_a_command_with_only_what_a_command_log_records():
    (command,) = single_commands([DIALOGUE])
    assert command["id"] == "sim-1-t1" and command["user_id"] == "u1"
    assert command["turns"] == [
        {
            "id": "t1",
            "utterance": "play purple hays",
            "asr_confidence": 0.6,
            "intent": "PlayMusic",
            "slots": [{"start": 5, "end": 16, "type": "song"}],
        }
    ]
    assert command["labels"] == {
        "turns": {"t1": {"intent": "PlayMusic", "slots": [], "failure_point": "asr"}}
    }


def test_false_wakes_result_errors_and_turns_without_a_failure_point_are_left_out():
    assert [command["id"] for command in single_commands([DIALOGUE])] == ["sim-1-t1"]


@pytest.mark.django_db
def test_simulated_commands_import_as_single_turn_dialogues_with_failure_points():
    dataset = simulated_commands("commands", 30, users=10, seed=9)
    assert dataset.dialogues.count() > 30
    assert not Turn.objects.filter(dialogue__dataset=dataset, position__gt=0).exists()
    assert not Turn.objects.filter(dialogue__dataset=dataset).exclude(response=None).exists()
    failure_points = set(
        Label.objects.filter(dialogue__dataset=dataset, kind="failure_point").values_list("value", flat=True)
    )
    assert "none" in failure_points and failure_points <= {"none", "asr", "nlu", "entity"}
    assert (
        Dialogue.objects.filter(dataset=dataset).count()
        == Label.objects.filter(dialogue__dataset=dataset, kind="failure_point").count()
    )
