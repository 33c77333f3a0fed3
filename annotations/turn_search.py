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
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from annotations.models import Turn

SQLITE_TABLE = "annotations_turn_search"
# The trigram tokenizer's shortest match.
SHORTEST_INDEXED = 3
# How the index numbers a turn: (its dialogue id << ENTRY_SHIFT) + its position (the migration).
ENTRY_SHIFT = 20


def dialogues_saying_q(text: str) -> Q:
    """The condition on Dialogue rows: one of its turns says ``text`` (any case)."""
    # Exists, not a join: a dialogue with many matching turns is still one row.
    saying = Q(Exists(Turn.objects.filter(dialogue=OuterRef("pk"), utterance__icontains=text)))
    if connection.vendor != "sqlite" or len(text) < SHORTEST_INDEXED:
        return saying
    # A phrase of the trigram tokenizer is a substring; a double quote inside it is written twice.
    phrase = '"' + text.replace('"', '""') + '"'
    # The index numbers a turn (dialogue id << 20) + position: the dialogue ids come without a join.
    indexed = RawSQL(
        f"SELECT rowid >> {ENTRY_SHIFT} FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s",
        (phrase,),
    )
    return Q(pk__in=indexed) & saying
