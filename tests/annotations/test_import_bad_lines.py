"""Every way a line can be bad, each refused with the file, the line and the field, and nothing
written (the import is all or nothing)."""

from __future__ import annotations

import copy

import pytest

from annotations.formats.importing import ImportFailed
from tests.annotations.test_importing import nothing_was_written, run_import
from tests.factories import dialogue, write_lines

pytestmark = pytest.mark.django_db


def with_changes(change) -> dict:
    data = copy.deepcopy(dialogue("bad"))
    change(data)
    return data


def set_turn(index, key, value):
    return lambda data: data["turns"][index].__setitem__(key, value)


def set_turn_label(turn_id, key, value):
    return lambda data: data["labels"]["turns"][turn_id].__setitem__(key, value)


def set_preference(key, value):
    """Change (or, with value None, drop) one key of the first preference t2 states."""

    def change(data):
        preference = data["labels"]["turns"]["t2"]["preferences"][0]
        if value is None:
            preference.pop(key)
        else:
            preference[key] = value

    return change


BAD_LINES = {
    "not JSON": ('{"id": "x", "turns": [', "json: not valid JSON"),
    "NaN, which JSON does not have": (
        '{"id": "x", "turns": [{"utterance": "hi", "asr_confidence": NaN}]}',
        "json: not valid JSON: NaN",
    ),
    "JSON that is not an object": ("[1, 2, 3]", "(line): must be a JSON object, got an array"),
    "a missing id": (with_changes(lambda d: d.pop("id")), "id: is required"),
    "an empty id": (with_changes(lambda d: d.__setitem__("id", "")), "id: must not be empty"),
    "an id that is not a string": (with_changes(lambda d: d.__setitem__("id", 7)), "id: must be a string"),
    "an id over 200 characters": (
        with_changes(lambda d: d.__setitem__("id", "x" * 201)),
        "id: must be at most",
    ),
    "no turns": (with_changes(lambda d: d.pop("turns")), "turns: is required"),
    "an empty list of turns": (
        with_changes(lambda d: d.__setitem__("turns", [])),
        "turns: must hold at least",
    ),
    "an utterance that is not a string": (
        with_changes(set_turn(1, "utterance", 42)),
        "turns[1].utterance: must be a string, got a number",
    ),
    "a missing utterance": (
        with_changes(lambda d: d["turns"][1].pop("utterance")),
        "turns[1].utterance: is required",
    ),
    "a span outside its utterance": (
        with_changes(set_turn(0, "slots", [{"start": 5, "end": 99, "type": "song"}])),
        "turns[0].slots[0].end: is outside the utterance (99 > its length 16)",
    ),
    "a span with end <= start": (
        with_changes(set_turn(0, "slots", [{"start": 5, "end": 5, "type": "song"}])),
        "turns[0].slots[0].end: must be greater than start (5), got 5",
    ),
    "overlapping spans": (
        with_changes(
            set_turn(0, "slots", [{"start": 0, "end": 10, "type": "a"}, {"start": 5, "end": 16, "type": "b"}])
        ),
        "turns[0].slots[1]: overlaps turns[0].slots[0]",
    ),
    "a label span outside its utterance": (
        with_changes(set_turn_label("t1", "slots", [{"start": -1, "end": 3, "type": "song"}])),
        "labels.turns.t1.slots[0].start: must not be negative",
    ),
    "a confidence above 1": (
        with_changes(set_turn(0, "asr_confidence", 1.4)),
        "turns[0].asr_confidence: must be in [0, 1], got 1.4",
    ),
    "a confidence below 0": (
        with_changes(set_turn(1, "nlu_confidence", -0.1)),
        "turns[1].nlu_confidence: must be in [0, 1], got -0.1",
    ),
    "a confidence that is a string": (
        with_changes(set_turn(0, "asr_confidence", "high")),
        "turns[0].asr_confidence: must be a number in [0, 1]",
    ),
    "duplicate turn ids": (with_changes(set_turn(1, "id", "t1")), "turns[1].id: duplicate turn id 't1'"),
    "a goal naming an unknown turn": (
        with_changes(lambda d: d["labels"].__setitem__("goals", [{"turns": ["t1", "t9"]}])),
        "labels.goals[0].turns: names no turn of this dialogue: 't9'",
    ),
    "goals that overlap": (
        with_changes(
            lambda d: d["labels"].__setitem__("goals", [{"turns": ["t1", "t2"]}, {"turns": ["t2"]}])
        ),
        "labels.goals[1].turns: overlaps or comes before labels.goals[0]",
    ),
    "a goal that is not a consecutive run": (
        with_changes(lambda d: d["labels"].__setitem__("goals", [{"turns": ["t2", "t1"]}])),
        "labels.goals[0].turns: must be a run of consecutive turns",
    ),
    "an unknown failure point": (
        with_changes(set_turn_label("t1", "failure_point", "tts")),
        "labels.turns.t1.failure_point: must be one of none, false_wake",
    ),
    "a rephrase of a later turn": (
        with_changes(set_turn_label("t1", "rephrase_of", "t2")),
        "labels.turns.t1.rephrase_of: must name an earlier turn",
    ),
    "a rephrase of itself": (
        with_changes(set_turn_label("t2", "rephrase_of", "t2")),
        "labels.turns.t2.rephrase_of: must name an earlier turn",
    ),
    "a rephrase of a missing turn": (
        with_changes(set_turn_label("t2", "rephrase_of", "t7")),
        "labels.turns.t2.rephrase_of: names no turn of this dialogue",
    ),
    "labels for a missing turn": (
        with_changes(lambda d: d["labels"]["turns"].__setitem__("t5", {})),
        "labels.turns.t5: names no turn of this dialogue",
    ),
    "feedback that is neither positive nor negative": (
        with_changes(set_turn(1, "feedback", "meh")),
        'turns[1].feedback: must be "positive" or "negative"',
    ),
    "a timestamp that is not ISO 8601": (
        with_changes(set_turn(0, "timestamp", "yesterday")),
        "turns[0].timestamp: is not an ISO 8601 date and time",
    ),
    "a defect that is not a boolean": (
        with_changes(set_turn_label("t1", "defect", "yes")),
        "labels.turns.t1.defect: must be true or false",
    ),
    "preferences that are not an array": (
        with_changes(set_turn_label("t2", "preferences", {"domain": "music"})),
        "labels.turns.t2.preferences: must be an array of preferences, got an object",
    ),
    "a preference that is not an object": (
        with_changes(set_turn_label("t2", "preferences", ["jazz"])),
        "labels.turns.t2.preferences[0]: must be an object, got a string",
    ),
    "a preference without a domain": (
        with_changes(set_preference("domain", None)),
        "labels.turns.t2.preferences[0].domain: must be a non-empty string, got null",
    ),
    "a preference with an empty key": (
        with_changes(set_preference("key", " ")),
        "labels.turns.t2.preferences[0].key: must be a non-empty string, got ' '",
    ),
    "a preference value that is not a string": (
        with_changes(set_preference("value", 7)),
        "labels.turns.t2.preferences[0].value: must be a non-empty string, got a number",
    ),
    "a polarity that is neither like nor dislike": (
        with_changes(set_preference("polarity", "love")),
        "labels.turns.t2.preferences[0].polarity: must be like or dislike, got 'love'",
    ),
    "a preference span outside its utterance": (
        with_changes(set_preference("end", 99)),
        "labels.turns.t2.preferences[0].end: is outside the utterance (99 > its length 32)",
    ),
    "a preference span with end <= start": (
        with_changes(set_preference("end", 20)),
        "labels.turns.t2.preferences[0].end: must be greater than start (20), got 20",
    ),
    "a preference span starting before the utterance": (
        with_changes(set_preference("start", -1)),
        "labels.turns.t2.preferences[0].start: must not be negative, got -1",
    ),
    "a preference start without an end": (
        with_changes(set_preference("end", None)),
        "labels.turns.t2.preferences[0].end: is required with start",
    ),
    "a preference offset that is not an integer": (
        with_changes(set_preference("start", "20")),
        "labels.turns.t2.preferences[0].start: must be an integer, got a string",
    ),
    "a rewrite that is not a string": (
        with_changes(set_turn_label("t1", "rewrite", ["play purple haze"])),
        "labels.turns.t1.rewrite: must be a string or null, got an array",
    ),
    "a number beyond a double's range": (
        '{"id": "x", "turns": [{"utterance": "hi"}], "metadata": {"size": 1e400}}',
        "json: not valid JSON: the number 1e400 is beyond the range of a double",
    ),
    "metadata that is not an object": (
        with_changes(lambda d: d.__setitem__("metadata", [1])),
        "metadata: must be an object, got an array",
    ),
}


@pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
def test_it_rejects_a_bad_line_naming_file_line_and_field(case, tmp_path, dataset):
    bad, expected = BAD_LINES[case]
    path = write_lines(tmp_path / "logs.jsonl", [dialogue("good-1"), bad, dialogue("good-2")])

    with pytest.raises(ImportFailed) as failure:
        run_import(path, dataset)

    assert f"{path}:2: {expected}" in failure.value.message
    assert failure.value.total == 1
    assert nothing_was_written()


def test_it_reports_every_problem_of_a_line(tmp_path, dataset):
    bad = with_changes(lambda d: (set_turn(0, "asr_confidence", 2)(d), set_turn_label("t1", "defect", 1)(d)))
    path = write_lines(tmp_path / "logs.jsonl", [bad])

    with pytest.raises(ImportFailed) as failure:
        run_import(path, dataset)

    assert any("turns[0].asr_confidence" in error for error in failure.value.errors)
    assert any("labels.turns.t1.defect" in error for error in failure.value.errors)
