"""Which dialogues say a text: the dataset page's search, through the utterance index of
``annotations/migrations/0011_turn_search_index.py``.

The promise stays the one the page always made: a dialogue is found when one of its turns' utterances
contains the text, in any case (Django's ``icontains``). The index only narrows the turns to look at:

- SQLite: the FTS5 trigram table names the turns that contain the text (its case folding covers
  every match of ``LIKE``, and more outside ASCII), and ``icontains`` then confirms each, so the rows
  are exactly those of the plain scan. Scanning the dialogues in id order and probing each one's turns
  had cost a search for a rare word a walk of the whole dataset.
- PostgreSQL: the GIN trigram index serves ``UPPER(utterance) LIKE`` itself; the query is the plain one.

Texts shorter than three characters have no trigram to look up and are searched by the plain scan.

An import indexes its turns in bulk (``bulk_indexing``): SQLite's per-row trigger cost 29 us a turn
(FTS5 writes a tiny segment for every statement it runs in), one ``INSERT ... SELECT`` a batch about 4.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IsNull

from annotations.models import Dialogue, Turn

SQLITE_TABLE = "annotations_turn_search"
# The trigram tokenizer's shortest match.
SHORTEST_INDEXED = 3
# How the index numbers a turn: (its dialogue id << ENTRY_SHIFT) + its position (the migration).
ENTRY_SHIFT = 20
# Up to this many turns say a text, the dialogues are found from the index; above it, by a walk in id
# order, which then finds a page of 50 within the first few thousand dialogues. Low, because a phrase
# of common words costs the index a check of every turn holding its trigrams: counting 20,000 of
# "kitchen queen" took 95 ms at 100,000 dialogues, 2,000 of them 17 ms.
FEW_MATCHING_TURNS = 2_000
# PostgreSQL: a text said in at least COMMON_IN_SAMPLE of the dataset's first SAMPLED_DIALOGUES (one
# dialogue in 100) is common; a page of 50 is then found within about 5,000 probes.
SAMPLED_DIALOGUES = 500
COMMON_IN_SAMPLE = 5
# The trigger that indexes each inserted turn (the migration).
SQLITE_INSERT_TRIGGER = "annotations_turn_search_insert"


class BulkIndex:
    """Indexes the turns of dialogues an import has just written (see ``bulk_indexing``)."""

    # Well under SQLite's limit on parameters (32,766), whatever the import's batch size.
    DIALOGUES_PER_STATEMENT = 1000

    def __init__(self, active: bool) -> None:
        self.active = active

    def add_dialogues(self, dialogue_pks: Sequence[int]) -> None:
        """Index every turn of these dialogues (all of them written while the trigger was set aside)."""
        if not self.active or not dialogue_pks:
            return
        with connection.cursor() as cursor:
            for start in range(0, len(dialogue_pks), self.DIALOGUES_PER_STATEMENT):
                some = dialogue_pks[start : start + self.DIALOGUES_PER_STATEMENT]
                cursor.execute(
                    f"INSERT INTO {SQLITE_TABLE}(rowid, utterance) "
                    f"SELECT (dialogue_id << {ENTRY_SHIFT}) + position, utterance FROM annotations_turn "
                    f"WHERE dialogue_id IN ({', '.join(['%s'] * len(some))})",
                    list(some),
                )


@contextmanager
def bulk_indexing() -> Iterator[BulkIndex]:
    """Within the caller's transaction, set the per-turn index trigger aside and give the caller a
    ``BulkIndex`` to index what it writes; the trigger is put back before the transaction ends.

    SQLite's schema changes are transactional and its write lock keeps every other writer out until the
    commit, so no other connection ever writes a turn while the trigger is away, and a rollback (a
    failed import) puts it back with everything else. Elsewhere (PostgreSQL's index is an ordinary one)
    this does nothing."""
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_indexing() needs a transaction: the trigger must come back with it")
    if connection.vendor != "sqlite":
        yield BulkIndex(active=False)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [SQLITE_INSERT_TRIGGER]
        )
        row = cursor.fetchone()
        if row is None:  # no index here (a database migrated before it): nothing to keep up
            yield BulkIndex(active=False)
            return
        cursor.execute(f"DROP TRIGGER {SQLITE_INSERT_TRIGGER}")
    yield BulkIndex(active=True)
    # Put back only on success: after a failure the rollback of the transaction (or savepoint) around
    # it brings the trigger back, and a statement here could hide the error that caused it.
    with connection.cursor() as cursor:
        cursor.execute(row[0])


def dialogues_saying_q(text: str, dataset_id: int) -> Q:
    """The condition on the dataset's Dialogue rows: one of its turns says ``text`` (any case)."""
    turns = Turn.objects.filter(utterance__icontains=text)
    # Exists, not a join: a dialogue with many matching turns is still one row.
    saying = Q(Exists(turns.filter(dialogue=OuterRef("pk"))))
    if len(text) < SHORTEST_INDEXED:
        return saying
    if connection.vendor == "postgresql":
        return _postgresql_saying(turns, dataset_id)
    if connection.vendor != "sqlite":
        return saying
    # A phrase of the trigram tokenizer is a substring; a double quote inside it is written twice.
    phrase = '"' + text.replace('"', '""') + '"'
    if _many_match(phrase):
        # A common text: the walk of the dialogues in id order finds a page among its first few hundred
        # (reading every match from the index first cost 250 ms for "paris" at 100,000 dialogues).
        return saying
    # The index numbers a turn (dialogue id << 20) + position: the dialogue ids come without a join.
    indexed = RawSQL(
        f"SELECT rowid >> {ENTRY_SHIFT} FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s",
        (phrase,),
    )
    return Q(pk__in=indexed) & saying


def _postgresql_saying(turns: QuerySet[Turn], dataset_id: int) -> Q:
    """PostgreSQL's condition: the turns the trigram index finds for a rare text, a walk for a common one.

    The planner cannot tell which a text is: it takes any ``LIKE '%...%'`` to match a few rows and
    reads the index, which for words whose trigrams are everywhere means a bitmap of most turns (600 ms
    for "alarm set" at 100,000 dialogues, where a walk in id order finds a page in 20). So the first
    ``SAMPLED_DIALOGUES`` of the dataset, walked, tell: when few say the text, the index; otherwise
    the walk."""
    walk = _probe_each_dialogue(turns)
    sample = Dialogue.objects.filter(dataset_id=dataset_id).order_by("pk").values("pk")[:SAMPLED_DIALOGUES]
    common = Dialogue.objects.filter(Q(pk__in=sample) & walk).order_by()[:COMMON_IN_SAMPLE]
    if common.count() < COMMON_IN_SAMPLE:
        return Q(pk__in=turns.order_by().values("dialogue_id"))
    return walk


def _probe_each_dialogue(turns: QuerySet[Turn]) -> Q:
    """A probe of each dialogue's turns (the (dialogue, position) index), in the dialogues' order.

    A scalar subquery, not ``EXISTS``: PostgreSQL turns an ``EXISTS`` into a join, which it may then
    answer from the trigram index, the bitmap this condition is there to avoid."""
    first = turns.filter(dialogue=OuterRef("pk")).order_by().values("position")[:1]
    return Q(IsNull(Subquery(first), False))


def _many_match(phrase: str) -> bool:
    """Whether the index holds more than ``FEW_MATCHING_TURNS`` turns saying the phrase: a look that
    stops there, so it costs what a rare text's whole answer costs."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s LIMIT 1 OFFSET %s",
            (phrase, FEW_MATCHING_TURNS),
        )
        return cursor.fetchone() is not None
