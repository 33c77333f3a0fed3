from __future__ import annotations

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


def test_it_keeps_integers_beyond_64_bits_exact(tmp_path, dataset):
    data = {**dialogue("big"), "metadata": {"serial": 123456789012345678901234567890, "low": -(2**70)}}
    path = write_lines(tmp_path / "logs.jsonl", [data])

    run_import(path, dataset)

    assert Dialogue.objects.get().metadata == {"serial": 123456789012345678901234567890, "low": -(2**70)}


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
