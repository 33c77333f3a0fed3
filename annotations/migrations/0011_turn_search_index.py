"""A substring index of turns' utterances, so that the dataset page's search (``?q=``, any case) reads the
turns that say the words instead of every turn of the dataset.

SQLite: a contentless FTS5 table with the trigram tokenizer (matches any substring of three characters
or more, any case) of ``annotations_turn``'s utterances, kept by triggers, so the importer's bulk
inserts, deletions (a dataset, a replaced dialogue) and any change of an utterance keep it without a
line of Python. A later migration that makes Django rebuild ``annotations_turn`` (SQLite's way of
altering a table) drops the triggers with the old table: create them again after it
(``tests/annotations/test_turn_search.py`` fails until then).

PostgreSQL: a GIN trigram index (pg_trgm) on ``UPPER(utterance)``, the expression Django's
``icontains`` compares, so the query is unchanged and the planner chooses the index. Where pg_trgm is
not installable the search stays correct and scans, as before.
"""

from django.db import migrations

# A turn's entry in the index is numbered by its dialogue and position, not by its own id, so that the
# index gives the dialogues' ids (the number shifted right by 20 bits) without reading a turn: looking up
# 13,000 turns for their dialogue ids took 20 ms at 100,000 dialogues, the index's own read 5 ms. A
# dialogue's turns stay below 2**20 (SELFLEARN_IMPORT_MAX_TURNS is 1,000); one beyond would collide with
# the next dialogue's first entry, which the index refuses (the insert fails, nothing is lost silently).
ENTRY = "(({turn}.dialogue_id << 20) + {turn}.position)"
NEW, OLD = ENTRY.format(turn="new"), ENTRY.format(turn="old")
SQLITE_CREATE = [
    # Contentless: the utterances stay in annotations_turn, the index keeps only the trigrams.
    "CREATE VIRTUAL TABLE annotations_turn_search USING fts5(utterance, content='', tokenize='trigram')",
    "CREATE TRIGGER annotations_turn_search_insert AFTER INSERT ON annotations_turn BEGIN "
    f"INSERT INTO annotations_turn_search(rowid, utterance) VALUES ({NEW}, new.utterance); END",
    "CREATE TRIGGER annotations_turn_search_delete AFTER DELETE ON annotations_turn BEGIN "
    "INSERT INTO annotations_turn_search(annotations_turn_search, rowid, utterance) "
    f"VALUES ('delete', {OLD}, old.utterance); END",
    "CREATE TRIGGER annotations_turn_search_update "
    "AFTER UPDATE OF utterance, dialogue_id, position ON annotations_turn BEGIN "
    "INSERT INTO annotations_turn_search(annotations_turn_search, rowid, utterance) "
    f"VALUES ('delete', {OLD}, old.utterance); "
    f"INSERT INTO annotations_turn_search(rowid, utterance) VALUES ({NEW}, new.utterance); END",
    # The turns already there.
    "INSERT INTO annotations_turn_search(rowid, utterance) "
    "SELECT (dialogue_id << 20) + position, utterance FROM annotations_turn",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS annotations_turn_search_insert",
    "DROP TRIGGER IF EXISTS annotations_turn_search_delete",
    "DROP TRIGGER IF EXISTS annotations_turn_search_update",
    "DROP TABLE IF EXISTS annotations_turn_search",
]
POSTGRESQL_INDEX = (
    "CREATE INDEX IF NOT EXISTS annotations_turn_utterance_trgm "
    "ON annotations_turn USING gin (UPPER(utterance) gin_trgm_ops)"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            for statement in SQLITE_CREATE:
                cursor.execute(statement)
        elif vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return
            # Trusted since PostgreSQL 13: the database's owner may create it.
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(POSTGRESQL_INDEX)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)
        elif vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS annotations_turn_utterance_trgm")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0010_label_author_partial")]

    operations = [migrations.RunPython(create, drop)]
