"""The dataset page's search through the utterance index: it finds exactly the dialogues a plain scan
of the turns finds, the index follows imports, replaced dialogues, deletions and edited utterances,
on SQLite the search reads the index instead of every turn, and an import's bulk indexing leaves the
per-turn trigger as it found it, whatever happens."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse

from annotations.formats.importing import ImportOptions, ImportSource, import_dialogues
from annotations.models import Dialogue, Turn
from annotations.selectors import dialogue_list
from annotations.turn_search import ENTRY_SHIFT, SQLITE_INSERT_TRIGGER, SQLITE_TABLE, BulkIndex, bulk_indexing
from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'",
    reason="the FTS5 table is SQLite's; PostgreSQL's index is an ordinary one",
)


def found(dataset, text: str) -> list[str]:
    return [dialogue.external_id for dialogue in dialogue_list(dataset, text)]


def scanned(dataset, text: str) -> list[str]:
    """What the search promises: the dialogues with a turn that contains the text, in any case."""
    turns = Turn.objects.filter(dialogue__dataset=dataset, utterance__icontains=text)
    return list(
        Dialogue.objects.filter(pk__in=turns.values("dialogue_id"))
        .order_by("pk")
        .values_list("external_id", flat=True)
    )


def index_agrees(*texts: str) -> None:
    """The index names exactly the turns (of any dataset) whose utterances contain each text (SQLite
    only: PostgreSQL's index is the database's own business)."""
    if connection.vendor != "sqlite":
        return
    for text in texts:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", [f'"{text}"'])
            indexed = {row[0] for row in cursor.fetchall()}
        turns = Turn.objects.filter(utterance__icontains=text).values_list("dialogue_id", "position")
        assert indexed == {(dialogue << ENTRY_SHIFT) + position for dialogue, position in turns}, text


def write_lines(path: Path, dialogues: dict[str, list[str]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for external_id, utterances in dialogues.items():
            turns = [{"id": f"t{n + 1}", "utterance": text} for n, text in enumerate(utterances)]
            out.write(json.dumps({"id": external_id, "turns": turns}) + "\n")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "weather",  # in two dialogues, once capitalised
        "WEATHER IN",  # two words, across a space
        "eathe",  # inside a word
        "in",  # shorter than a trigram: the plain scan
        'say "hi"',  # quotes are part of the text, not the index's syntax
        "hi AND bye",  # so are the index's operators
        "50%",  # and LIKE's wildcards
        "nothing like this",
    ],
)
def test_a_search_finds_exactly_the_dialogues_whose_turns_contain_the_text(dataset, text):
    make_dialogue(dataset, "d1", ["what's the weather", "Weather in Paris please"])
    make_dialogue(dataset, "d2", ["play purple haze"], with_labels=False)
    make_dialogue(dataset, "d3", ['say "hi" AND bye', "hi AND bye, 50% louder"], with_labels=False)
    make_dialogue(dataset, "d4", ["the WEATHER tomorrow", "50 percent"], with_labels=False)
    assert found(dataset, text) == scanned(dataset, text)
    assert found(dataset, "weather") == ["d1", "d4"]


def test_the_index_follows_imports_replaced_dialogues_and_deleted_datasets(dataset, tmp_path):
    first = write_lines(tmp_path / "a.jsonl", {"a1": ["find a taxi"], "a2": ["call mum", "call a taxi"]})
    import_dialogues(source=ImportSource.from_path(first), dataset=dataset)
    assert found(dataset, "taxi") == ["a1", "a2"]
    index_agrees("taxi", "call")

    again = write_lines(tmp_path / "b.jsonl", {"a2": ["call dad"]})
    import_dialogues(
        source=ImportSource.from_path(again), dataset=dataset, options=ImportOptions(on_duplicate="replace")
    )
    assert found(dataset, "taxi") == ["a1"]
    assert found(dataset, "call dad") == ["a2"]
    index_agrees("taxi", "call", "mum", "dad")

    dataset.delete()
    index_agrees("taxi", "call", "dad")


def test_the_index_follows_an_edited_utterance(dataset):
    dialogue = make_dialogue(dataset, "d1", ["set an alarm"], with_labels=False)
    Turn.objects.filter(dialogue=dialogue).update(utterance="set a timer")
    assert found(dataset, "timer") == ["d1"]
    assert found(dataset, "alarm") == []
    index_agrees("alarm", "timer", "set a")


@sqlite_only
def test_on_sqlite_a_search_reads_the_index_not_every_turn(dataset):
    make_dialogue(dataset, "d1", ["what's the weather"])
    sql, params = dialogue_list(dataset, "weather").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[-1] for row in cursor.fetchall()]
    assert f"SCAN {SQLITE_TABLE} VIRTUAL TABLE INDEX 0:M1" in plan  # the MATCH
    assert [step for step in plan if step.startswith("SCAN") and "VIRTUAL TABLE" not in step] == []


def test_a_search_page_shows_the_matching_turn_found_through_the_index(client, dataset, viewer):
    make_dialogue(dataset, "w1", ["good morning", "what's the Weather in paris", "thanks"])
    client.force_login(viewer)
    response = client.get(reverse("annotations:dataset-detail", args=[dataset.name]), {"q": "weather in"})
    [row] = response.context["page"].dialogues
    assert row.match_turn == "t2"


def trigger_sql() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [SQLITE_INSERT_TRIGGER]
        )
        row = cursor.fetchone()
    return row[0] if row else None


@sqlite_only
def test_an_import_indexes_in_bulk_and_puts_the_per_turn_trigger_back_as_it_was(dataset, tmp_path):
    before = trigger_sql()
    lines = write_lines(tmp_path / "a.jsonl", {f"d{n}": ["find a taxi", f"call {n}"] for n in range(30)})
    with override_settings(SELFLEARN_IMPORT_BATCH_SIZE=7):  # several batches, each indexed on its own
        import_dialogues(source=ImportSource.from_path(lines), dataset=dataset)
    assert trigger_sql() == before is not None
    index_agrees("taxi", "call 1", "call 29")

    make_dialogue(dataset, "later", ["a taxi later"], with_labels=False)  # one turn: the trigger's
    index_agrees("taxi")


@sqlite_only
def test_an_import_that_fails_while_writing_leaves_the_trigger_and_the_index_as_they_were(dataset, tmp_path):
    before = trigger_sql()
    lines = write_lines(tmp_path / "a.jsonl", {"d1": ["find a taxi"], "d2": ["call a taxi"]})
    with (
        override_settings(SELFLEARN_IMPORT_BATCH_SIZE=1),
        mock.patch.object(BulkIndex, "add_dialogues", side_effect=[None, OperationalError("disk full")]),
        pytest.raises(OperationalError),
    ):
        import_dialogues(source=ImportSource.from_path(lines), dataset=dataset)
    assert trigger_sql() == before is not None
    assert not Turn.objects.exists()
    index_agrees("taxi")


@pytest.mark.django_db(transaction=True)  # no test transaction around it
def test_bulk_indexing_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="needs a transaction"), bulk_indexing():
        pass
