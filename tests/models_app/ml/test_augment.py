"""Field dropout makes training logs look like real ones, which often lack responses, statuses,
confidences, reactions, timing or the assistant's own reading."""

from __future__ import annotations

import pytest

from models_app.ml.augment import FIELD_GROUPS, drop_fields, has_aftermath
from models_app.ml.data import DialogueExample, Span, TurnInput, TurnTargets


def _logged_turn() -> TurnInput:
    return TurnInput(
        utterance="play jazz",
        response="Playing jazz.",
        domain="music",
        intent="PlayMusic",
        status="ok",
        asr_confidence=0.9,
        nlu_confidence=0.8,
        seconds_since_previous=3.0,
        barge_in=False,
        feedback="positive",
        slots=[Span(5, 9, "genre")],
    )


def _dialogue() -> DialogueExample:
    return DialogueExample(
        turns=[_logged_turn(), _logged_turn()], targets=[TurnTargets(intent="PlayMusic")] * 2, goals=[[0, 1]]
    )


def test_no_dropout_leaves_every_dialogue_as_it_was():
    examples = [_dialogue() for _ in range(5)]
    assert all(a is b for a, b in zip(drop_fields(examples, 0.0, seed=1), examples, strict=True))


def test_full_dropout_leaves_only_the_utterance_and_keeps_the_gold():
    (dropped,) = drop_fields([_dialogue()], 1.0, seed=1)
    for turn in dropped.turns:
        assert turn == TurnInput(utterance="play jazz")
    assert dropped.targets == _dialogue().targets
    assert dropped.goals == [[0, 1]]


def test_a_field_group_is_dropped_from_the_whole_dialogue_at_once_and_reruns_drop_the_same():
    examples = [_dialogue() for _ in range(200)]
    first, again = drop_fields(examples, 0.3, seed=7), drop_fields(examples, 0.3, seed=7)
    assert first == again
    for example in first:
        for field in ("response", "status", "feedback", "intent"):
            assert len({getattr(turn, field) for turn in example.turns}) == 1
    lost_response = sum(example.turns[0].response == "" for example in first) / len(first)
    assert 0.2 < lost_response < 0.4
    assert set(FIELD_GROUPS) == {"response", "status", "confidences", "reactions", "timing", "reading"}


def test_a_rate_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="field dropout"):
        drop_fields([_dialogue()], 1.5, seed=0)


def test_a_turn_has_an_aftermath_when_its_log_shows_what_followed():
    assert not has_aftermath(TurnInput(utterance="play jazz", asr_confidence=0.4, intent="PlayMusic"))
    assert has_aftermath(TurnInput(utterance="play jazz", response="Playing."))
    assert has_aftermath(TurnInput(utterance="play jazz", status="error"))
    assert has_aftermath(TurnInput(utterance="play jazz", barge_in=True))
    assert has_aftermath(TurnInput(utterance="play jazz", feedback="negative"))
