from __future__ import annotations

import copy
import gc
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from annotations.formats.importing import ImportFailed, ImportOptions, ImportSource, import_dialogues
from annotations.models import DatasetStats, Dialogue, Label, LabelKind, LabelSource, LabelStatus, Turn
from tests.factories import dialogue, write_lines

pytestmark = pytest.mark.django_db


def run_import(path: Path, dataset, **options):
    return import_dialogues(
        source=ImportSource.from_path(path), dataset=dataset, options=ImportOptions(**options)
    )


def nothing_was_written() -> bool:
    return not Dialogue.objects.exists() and not Turn.objects.exists() and not Label.objects.exists()


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


def test_it_rejects_bytes_that_are_not_utf8(tmp_path, dataset):
    line = json.dumps(dialogue("latin")).encode().replace(b"purple haze", b"caf\xe9 haze", 1)
    path = write_lines(tmp_path / "logs.jsonl", [dialogue("good"), line])

    with pytest.raises(ImportFailed) as failure:
        run_import(path, dataset)

    assert f"{path}:2: encoding: not UTF-8 (byte 0xe9" in failure.value.message
    assert nothing_was_written()


def test_it_rejects_a_byte_order_mark(tmp_path, dataset):
    path = write_lines(tmp_path / "logs.jsonl", [b"\xef\xbb\xbf" + json.dumps(dialogue()).encode()])

    with pytest.raises(ImportFailed, match="1: encoding: a byte-order mark"):
        run_import(path, dataset)


def test_it_rejects_a_truncated_gzip_and_writes_nothing(tmp_path, dataset):
    whole = gzip.compress(b"".join(json.dumps(dialogue(f"d{i}")).encode() + b"\n" for i in range(200)))
    path = tmp_path / "logs.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(ImportFailed, match="gzip: the compressed file is truncated or corrupt"):
        run_import(path, dataset)
    with pytest.raises(ImportFailed):
        run_import(path, dataset, skip_invalid=True, rejects_path=tmp_path / "rejects.jsonl")

    assert nothing_was_written()
    assert not (tmp_path / "rejects.jsonl").exists()


def test_it_lists_every_bad_line_up_to_a_hundred(tmp_path, dataset):
    path = write_lines(tmp_path / "logs.jsonl", ["not json"] * 150 + [dialogue()])

    with pytest.raises(ImportFailed) as failure:
        run_import(path, dataset)

    assert failure.value.total == 150
    assert len(failure.value.errors) == 100
    assert failure.value.errors[0].startswith(f"{path}:1: json:")
    assert failure.value.errors[99].startswith(f"{path}:100: json:")
    assert "... and 50 more" in failure.value.message


def test_it_reports_every_problem_of_a_line(tmp_path, dataset):
    bad = with_changes(lambda d: (set_turn(0, "asr_confidence", 2)(d), set_turn_label("t1", "defect", 1)(d)))
    path = write_lines(tmp_path / "logs.jsonl", [bad])

    with pytest.raises(ImportFailed) as failure:
        run_import(path, dataset)

    assert any("turns[0].asr_confidence" in error for error in failure.value.errors)
    assert any("labels.turns.t1.defect" in error for error in failure.value.errors)


def test_it_rejects_a_dialogue_id_twice_in_the_file(tmp_path, dataset):
    path = write_lines(tmp_path / "logs.jsonl", [dialogue("same"), dialogue("other"), dialogue("same")])

    with pytest.raises(ImportFailed) as failure:
        run_import(path, dataset)

    assert (
        f"{path}:3: id: dialogue 'same' appears twice in the file (first on line 1)" in failure.value.message
    )
    assert nothing_was_written()


def test_it_rejects_a_dialogue_id_already_in_the_dataset(tmp_path, dataset):
    run_import(write_lines(tmp_path / "first.jsonl", [dialogue("d1")]), dataset)
    path = write_lines(tmp_path / "second.jsonl", [dialogue("d2"), dialogue("d1")])

    with pytest.raises(ImportFailed, match=r"second.jsonl:2: id: dialogue 'd1' is already in dataset"):
        run_import(path, dataset)

    assert list(Dialogue.objects.values_list("external_id", flat=True)) == ["d1"]


def test_on_duplicate_skip_keeps_what_is_there(tmp_path, dataset):
    run_import(write_lines(tmp_path / "first.jsonl", [dialogue("d1", user_id="first")]), dataset)
    path = write_lines(
        tmp_path / "second.jsonl",
        [dialogue("d1", user_id="second"), dialogue("d2"), dialogue("d2", user_id="later")],
    )

    report = run_import(path, dataset, on_duplicate="skip")

    assert (report.dialogues, report.skipped_duplicates) == (1, 2)
    assert dict(Dialogue.objects.values_list("external_id", "user_key")) == {"d1": "first", "d2": "u42"}


def test_on_duplicate_replace_takes_the_newest(tmp_path, dataset):
    run_import(write_lines(tmp_path / "first.jsonl", [dialogue("d1", user_id="first")]), dataset)
    path = write_lines(
        tmp_path / "second.jsonl",
        [dialogue("d1", user_id="second"), dialogue("d2"), dialogue("d2", user_id="later")],
    )

    report = run_import(path, dataset, on_duplicate="replace")

    assert report.replaced == 1
    assert dict(Dialogue.objects.values_list("external_id", "user_key")) == {"d1": "second", "d2": "later"}
    assert Turn.objects.count() == 4
    assert Label.objects.filter(dialogue__external_id="d1").count() == 13


def test_skip_invalid_imports_the_valid_lines_and_keeps_the_rest_untouched(tmp_path, dataset):
    bad_bytes = b'{"id": "broken", "turns": [{"utterance": 5}]}   '
    path = write_lines(tmp_path / "logs.jsonl", [dialogue("d1"), bad_bytes, "not json", dialogue("d2")])
    rejects = tmp_path / "rejects.jsonl"

    report = run_import(path, dataset, skip_invalid=True, rejects_path=rejects)

    assert (report.dialogues, report.rejected_lines) == (2, 2)
    assert rejects.read_bytes() == bad_bytes + b"\n" + b"not json\n"


def test_labels_in_the_file_become_gold_labels_from_import(tmp_path, dataset):
    run_import(write_lines(tmp_path / "logs.jsonl", [dialogue()]), dataset)

    labels = Label.objects.all()
    assert {label.status for label in labels} == {LabelStatus.GOLD}
    assert {label.source_type for label in labels} == {LabelSource.IMPORT}
    kinds = sorted(labels.values_list("kind", flat=True))
    assert kinds.count(LabelKind.INTENT) == 2
    assert LabelKind.GOAL_SEGMENTS in kinds and LabelKind.GOAL_SUCCESS in kinds
    assert labels.get(kind=LabelKind.REPHRASE_OF, turn__external_id="t2").value == "t1"
    assert labels.get(kind=LabelKind.GOAL_SUCCESS).turn.external_id == "t1"


def test_preferences_and_rewrites_become_labels_of_their_own_not_extras(tmp_path, dataset):
    run_import(write_lines(tmp_path / "logs.jsonl", [dialogue()]), dataset)

    rewrite = Label.objects.get(kind=LabelKind.REWRITE)
    preferences = Label.objects.get(kind=LabelKind.PREFERENCES)
    assert (rewrite.turn.external_id, rewrite.value) == ("t1", "play purple haze by jimi hendrix")
    assert preferences.turn.external_id == "t2"
    assert preferences.value == [
        {"domain": "music", "key": "artist", "value": "Jimi Hendrix", "start": 20, "end": 32}
    ]
    assert {preferences.status, rewrite.status} == {LabelStatus.GOLD}
    assert list(Turn.objects.values_list("labels_extra", flat=True)) == [{}, {}]


def test_none_stated_no_rewrite_and_a_bare_preference_are_valid(tmp_path, dataset):
    data = dialogue()
    data["labels"]["turns"]["t1"].update(preferences=[], rewrite=None)
    data["labels"]["turns"]["t2"]["preferences"] = [
        {"domain": "music", "key": "genre", "value": "rock"},
        {"domain": "music", "key": "genre", "value": "jazz", "polarity": "dislike", "mood": "never"},
    ]

    run_import(write_lines(tmp_path / "logs.jsonl", [data]), dataset)

    labels = {
        (label.turn.external_id, label.kind): label.value
        for label in Label.objects.filter(turn__isnull=False)
    }
    assert labels[("t1", "preferences")] == [] and labels[("t1", "rewrite")] is None
    assert labels[("t2", "preferences")] == data["labels"]["turns"]["t2"]["preferences"]


def test_it_imports_gzip_as_well_as_plain_files(tmp_path, dataset):
    path = write_lines(tmp_path / "logs.jsonl.gz", [dialogue("a"), dialogue("b")], compress=True)

    report = run_import(path, dataset)

    assert (report.dialogues, report.turns) == (2, 4)


def test_turn_ids_default_to_their_position(tmp_path, dataset):
    data = {
        "id": "bare",
        "turns": [{"utterance": "hello"}, {"utterance": ""}],
        "labels": {"turns": {"t2": {"intent": None}}},
    }
    run_import(write_lines(tmp_path / "logs.jsonl", [data]), dataset)

    assert list(Turn.objects.values_list("external_id", "utterance")) == [("t1", "hello"), ("t2", "")]
    assert Label.objects.get().value is None


def test_blank_lines_are_ignored(tmp_path, dataset):
    path = write_lines(tmp_path / "logs.jsonl", [dialogue("a"), "", "   ", dialogue("b")])

    assert run_import(path, dataset).dialogues == 2


def test_the_command_prints_a_summary_and_fails_with_the_listed_errors(tmp_path, dataset, capsys):
    good = write_lines(tmp_path / "good.jsonl", [dialogue("a"), dialogue("b")])
    bad = write_lines(tmp_path / "bad.jsonl", [dialogue("c"), "[]"])

    call_command("import_dialogues", str(good), "--dataset", "fresh", "--no-progress")
    with pytest.raises(CommandError, match=r"bad.jsonl:2: \(line\): must be a JSON object"):
        call_command("import_dialogues", str(bad), "--dataset", "fresh", "--no-progress")

    assert "Imported 2 dialogues (4 turns, 26 labels) into 'fresh'" in capsys.readouterr().out
    assert Dialogue.objects.filter(dataset__name="fresh").count() == 2


def test_the_command_leaves_the_dataset_counted_as_the_import_job_does(tmp_path, dataset):
    path = write_lines(tmp_path / "good.jsonl", [dialogue("a"), dialogue("b")])

    call_command("import_dialogues", str(path), "--dataset", "fresh", "--no-progress")

    stats = DatasetStats.objects.get(dataset__name="fresh")
    assert (stats.dialogues, stats.turns) == (2, 4)


def test_the_command_writes_rejects_beside_the_file(tmp_path, dataset):
    path = write_lines(tmp_path / "logs.jsonl.gz", [dialogue("a"), "oops"], compress=True)

    call_command("import_dialogues", str(path), "--dataset", dataset.name, "--skip-invalid", "--no-progress")

    assert (tmp_path / "logs.rejects.jsonl").read_bytes() == b"oops\n"


def test_the_command_refuses_a_dataset_name_the_urls_cannot_carry(tmp_path):
    path = write_lines(tmp_path / "logs.jsonl", [dialogue()])

    with pytest.raises(CommandError, match="may not contain '/'"):
        call_command("import_dialogues", str(path), "--dataset", "a/b", "--no-progress")
    with pytest.raises(CommandError, match="'new' is reserved"):
        call_command("import_dialogues", str(path), "--dataset", "new", "--no-progress")


def test_the_cyclic_collector_is_off_while_importing_and_back_on_after_success_or_failure(tmp_path, dataset):
    collector_on_while_importing = []

    def progress(phase, done, total):
        collector_on_while_importing.append(gc.isenabled())

    path = write_lines(tmp_path / "in.jsonl", [dialogue("a"), dialogue("b")])
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset, progress=progress)
    assert collector_on_while_importing and not any(collector_on_while_importing)
    assert gc.isenabled()

    bad = write_lines(tmp_path / "bad.jsonl", [dialogue("c"), {"id": "d"}])
    with pytest.raises(ImportFailed):
        import_dialogues(source=ImportSource.from_path(bad), dataset=dataset)
    assert gc.isenabled()


class _Undo(Exception):
    pass


def _violates_at_once() -> bool:
    """Whether a row naming a dialogue that does not exist is refused by the statement itself (rather
    than queued for the commit); the savepoint is rolled back either way, so nothing stays behind."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO annotations_turn (dialogue_id, position, external_id, utterance, extra, "
                "labels_extra) VALUES (%s, 0, 't1', 'x', '{}', '{}')",
                [2**40],
            )
            raise _Undo
    except IntegrityError:
        return True
    except _Undo:
        return False


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite counts deferred violations, no queue")
def test_on_postgresql_foreign_keys_are_checked_per_batch_while_writing_and_deferred_again_after(
    tmp_path, dataset
):
    at_once_while_writing = []

    def progress(phase, done, total):
        if phase == "writing":
            at_once_while_writing.append(_violates_at_once())

    path = write_lines(tmp_path / "in.jsonl", [dialogue("a"), dialogue("b"), dialogue("c")])
    with override_settings(SELFLEARN_IMPORT_BATCH_SIZE=1):  # progress between batches, inside the write
        import_dialogues(source=ImportSource.from_path(path), dataset=dataset, progress=progress)

    # Reported before the transaction, after each of the three batches, and after the commit.
    assert at_once_while_writing == [False, True, True, True, False]
    assert not _violates_at_once()


def _estimated_dialogues() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'annotations_dialogue'::regclass")
        return cursor.fetchone()[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner statistics")
def test_on_postgresql_an_import_that_grows_the_dialogues_by_a_tenth_refreshes_the_statistics(
    tmp_path, dataset
):
    first = write_lines(tmp_path / "first.jsonl", [dialogue(f"a{n}") for n in range(40)])
    import_dialogues(source=ImportSource.from_path(first), dataset=dataset)
    assert _estimated_dialogues() == 40

    small = write_lines(tmp_path / "small.jsonl", [dialogue(f"b{n}") for n in range(3)])
    import_dialogues(source=ImportSource.from_path(small), dataset=dataset)
    assert _estimated_dialogues() == 40  # 3 more is under a tenth: autovacuum's business

    larger = write_lines(tmp_path / "larger.jsonl", [dialogue(f"c{n}") for n in range(5)])
    import_dialogues(source=ImportSource.from_path(larger), dataset=dataset)
    assert _estimated_dialogues() == 48
