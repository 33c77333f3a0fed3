"""The dataset page's filters and search answer from an index whatever the value: a rare value is
found from its own labels (or turns), a common one by walking the dialogues in id order, which stops at
the page's end; either way the same dialogues come back, and the plans (``EXPLAIN``) read an index,
never every label or every turn. The plans are checked on a few thousand dialogues with the database's
statistics gathered (``ANALYZE``), on SQLite and on PostgreSQL (CI's PostgreSQL pass)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from annotations import label_filters, turn_search
from annotations.label_filters import DialogueFilter, LabelFilter
from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelSource, LabelStatus, Turn
from annotations.selectors import dialogue_list, dialogue_page

pytestmark = pytest.mark.django_db

DIALOGUES = 1500
COMMON, RARE = "PlayMusic", "CancelTimer"
RARE_DIALOGUES = (17, 1024)  # the positions of the dialogues with the rare values


def fill(dataset: Dataset) -> list[int]:
    """``DIALOGUES`` one-turn dialogues, each with a gold intent label (``COMMON`` but for two, which
    say ``RARE`` and were corrected by a reviewer) and a defect label; then ``ANALYZE``. Returns the
    rare dialogues' ids."""
    dialogues = Dialogue.objects.bulk_create(
        Dialogue(dataset=dataset, external_id=f"d{number}") for number in range(DIALOGUES)
    )
    turns = Turn.objects.bulk_create(
        Turn(
            dialogue=dialogue,
            position=0,
            external_id="t1",
            utterance="play the queen" if number not in RARE_DIALOGUES else "whisper a xylophone",
        )
        for number, dialogue in enumerate(dialogues)
    )
    now = timezone.now()
    labels = []
    for number, (dialogue, turn) in enumerate(zip(dialogues, turns, strict=True)):
        rare = number in RARE_DIALOGUES
        common: dict[str, Any] = {"dialogue": dialogue, "turn": turn, "created_at": now, "updated_at": now}
        labels += [
            Label(
                kind=LabelKind.INTENT,
                value=RARE if rare else COMMON,
                source_type=LabelSource.IMPORT,
                status=LabelStatus.CORRECTED if rare else LabelStatus.GOLD,
                **common,
            ),
            Label(
                kind=LabelKind.DEFECT,
                value=number % 3 == 0,
                source_type=LabelSource.IMPORT,
                status=LabelStatus.GOLD,
                **common,
            ),
        ]
    Label.objects.bulk_create(labels)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return [dialogues[number].pk for number in RARE_DIALOGUES]


@pytest.fixture
def filled(dataset, monkeypatch) -> Iterator[list[int]]:
    # A few thousand dialogues stand for a million: what counts as few matches scales down with them.
    monkeypatch.setattr(label_filters, "FEW_MATCHING_LABELS", 100)
    monkeypatch.setattr(turn_search, "FEW_MATCHING_TURNS", 100)
    yield fill(dataset)
    if connection.vendor == "postgresql":
        # PostgreSQL keeps what ANALYZE learnt even when the test's transaction rolls back: learn the
        # tables empty again, for the tests that read the estimates (the import's statistics refresh).
        Dialogue.objects.filter(dataset=dataset).delete()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotations_dialogue, annotations_turn, annotations_label")


def plan(
    dataset: Dataset, *, q: str = "", dialogue_filter: DialogueFilter | None = None, small: bool = False
) -> str:
    """The database's plan of the first page of the dataset page's list. ``small``: on PostgreSQL, as
    if the table were large (no sequential scan, nor a read of a whole index, where an index answers),
    for the turns: reading 1,500 short rows beats any index, and that plan says nothing about a
    million."""
    dialogues = dialogue_list(dataset, q, dialogue_filter)[:51]
    sql, params = dialogues.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        if small:  # the test's transaction only
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")  # nor a whole-index read
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def reads_every(table: str, explained: str) -> bool:
    """Whether the plan reads every row of the table (not through an index)."""
    if connection.vendor == "sqlite":
        return any(
            line.strip().startswith(f"SCAN {table}") and "INDEX" not in line
            for line in explained.splitlines()
        )
    return f"Seq Scan on {table}" in explained


def ids(dataset: Dataset, **kwargs: Any) -> list[int]:
    return [dialogue.pk for dialogue in dialogue_list(dataset, **kwargs)]


RARE_FILTERS = {
    "intent": DialogueFilter(intent=RARE),
    "status": DialogueFilter(labels=LabelFilter(statuses=(LabelStatus.CORRECTED,))),
    "intent and status": DialogueFilter(intent=RARE, labels=LabelFilter(statuses=(LabelStatus.CORRECTED,))),
}


@pytest.mark.parametrize("name", list(RARE_FILTERS))
def test_a_rare_value_is_found_from_its_labels_through_their_index(dataset, filled, name):
    dialogue_filter = RARE_FILTERS[name]
    assert ids(dataset, dialogue_filter=dialogue_filter) == filled
    explained = plan(dataset, dialogue_filter=dialogue_filter)
    index = "label_status_dialogue" if name == "status" else "label_kind_value"
    assert index in explained, explained
    assert not reads_every("annotations_label", explained), explained
    assert not reads_every("annotations_dialogue", explained), explained


@pytest.mark.parametrize(
    "dialogue_filter",
    [
        DialogueFilter(intent=COMMON),
        DialogueFilter(defect=True),
        DialogueFilter(labels=LabelFilter(statuses=(LabelStatus.GOLD,))),
    ],
    ids=["intent", "defect", "status"],
)
def test_a_common_value_walks_the_dialogues_in_order_and_probes_each_through_an_index(
    dataset, filled, dialogue_filter
):
    page = dialogue_page(dialogue_list(dataset, dialogue_filter=dialogue_filter), after=None, size=50)
    assert len(page.dialogues) == 50
    explained = plan(dataset, dialogue_filter=dialogue_filter)
    assert not reads_every("annotations_label", explained), explained


def test_either_way_of_answering_gives_the_same_dialogues(dataset, filled, monkeypatch):
    filters = [
        DialogueFilter(intent=COMMON),
        DialogueFilter(intent=RARE),
        DialogueFilter(defect=False),
        DialogueFilter(intent=COMMON, defect=True),
        DialogueFilter(labels=LabelFilter(statuses=(LabelStatus.CORRECTED,))),
        DialogueFilter(intent=COMMON, labels=LabelFilter(statuses=(LabelStatus.GOLD,))),
    ]
    walked = [ids(dataset, dialogue_filter=each) for each in filters]
    monkeypatch.setattr(label_filters, "FEW_MATCHING_LABELS", DIALOGUES * 10)
    from_labels = [ids(dataset, dialogue_filter=each) for each in filters]
    assert walked == from_labels
    assert [len(each) for each in walked] == [DIALOGUES - 2, 2, 1000, 500, 2, DIALOGUES - 2]


def test_a_search_for_rare_words_reads_their_turns_from_the_index(dataset, filled):
    assert ids(dataset, q="xylophone") == filled
    explained = plan(dataset, q="xylophone", small=True)
    assert not reads_every("annotations_turn", explained), explained
    assert not reads_every("annotations_dialogue", explained), explained
    if connection.vendor == "sqlite":
        assert turn_search.SQLITE_TABLE in explained, explained
    else:
        assert "annotations_turn_utterance_trgm" in explained, explained


def test_a_search_for_common_words_walks_the_dialogues_and_stops_at_the_page(dataset, filled, monkeypatch):
    page = dialogue_page(dialogue_list(dataset, q="the queen"), after=None, size=50)
    assert len(page.dialogues) == 50
    assert not reads_every("annotations_turn", plan(dataset, q="the queen"))
    monkeypatch.setattr(turn_search, "FEW_MATCHING_TURNS", DIALOGUES * 10)
    assert ids(dataset, q="the queen") == [
        pk for pk in Dialogue.objects.filter(dataset=dataset).values_list("pk", flat=True) if pk not in filled
    ]
