"""Indexes that answer the dataset page's label filters from the labels that match, not from a walk of
every dialogue: ``?intent=``, ``?failure_point=`` and ``?defect=`` read (kind, value, dialogue), and
``?status=`` reads (status, dialogue); ``annotations.label_filters`` chooses them for rare values.

The (kind, value, dialogue) index differs by database, so it is written here rather than in the
model's Meta:

- PostgreSQL: partial, over the three kinds whose values the page filters on. A btree entry holds at
  most about 2,700 bytes, and a slots, preferences or goal-segments value may be longer: over every
  kind, the index would refuse such a label. PostgreSQL proves ``kind = 'intent'`` inside the
  predicate, so the filters' queries use it.
- SQLite: over every label. SQLite uses a partial index only when the query repeats its condition word
  for word, which ``kind = ?`` never does, and it has no limit on an entry's size.

A later migration that makes Django rebuild ``annotations_label`` on SQLite (its way of altering a
table) loses an index the model does not declare: create it again after it
(``tests/annotations/test_filter_indexes.py`` fails until then).
"""

from django.db import migrations, models

INDEX = "label_kind_value"
FILTERED_KINDS = ("intent", "failure_point", "defect")
COLUMNS = "annotations_label (kind, value, dialogue_id)"
SQLITE_CREATE = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {COLUMNS}"
POSTGRESQL_CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON {COLUMNS} "
    f"WHERE kind IN ({', '.join(repr(kind) for kind in FILTERED_KINDS)})"
)


def create(apps, schema_editor):
    statement = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}.get(schema_editor.connection.vendor)
    if statement is not None:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0016_label_evidence")]

    operations = [
        migrations.AddIndex(
            model_name="label",
            index=models.Index(fields=["status", "dialogue"], name="label_status_dialogue"),
        ),
        migrations.RunPython(create, drop),
    ]
