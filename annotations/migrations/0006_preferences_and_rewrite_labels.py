"""Preferences and rewrites become label kinds of their own.

Before, a turn's ``preferences`` and ``rewrite`` in ``labels.turns`` were unknown keys, kept as they
came in ``Turn.labels_extra``. This migration moves each valid one into a gold Label with source
"import", as an import writes them now, so that they can be reviewed and are exported once (from the
label, not also from the extras). A value that breaks FORMAT.md (checked by the importer's own
validator) stays where it was, an opaque extra. Backwards, the imported labels go back to the extras.
"""

from django.db import migrations, models
from django.utils import timezone

from annotations.formats.dialogue_format import validate_dialogue

KINDS = ("preferences", "rewrite")
BATCH = 2000


def _valid(kind, value, utterance):
    line = {"id": "-", "turns": [{"utterance": utterance}], "labels": {"turns": {"t1": {kind: value}}}}
    return not validate_dialogue(line)


def extras_to_labels(apps, schema_editor):
    Turn = apps.get_model("annotations", "Turn")
    Label = apps.get_model("annotations", "Label")
    with_extras = Turn.objects.filter(
        models.Q(labels_extra__has_key="preferences") | models.Q(labels_extra__has_key="rewrite")
    ).order_by("pk")
    now = timezone.now()
    last = 0
    while True:
        rows = list(
            with_extras.filter(pk__gt=last).values_list(
                "pk", "dialogue_id", "utterance", "labels_extra", "dialogue__import_job_id"
            )[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        labels, changed = [], []
        for pk, dialogue_id, utterance, extra, job_id in rows:
            kept = dict(extra)
            for kind in KINDS:
                if kind in kept and _valid(kind, kept[kind], utterance):
                    labels.append(
                        Label(
                            dialogue_id=dialogue_id,
                            turn_id=pk,
                            kind=kind,
                            value=kept.pop(kind),
                            status="gold",
                            source_type="import",
                            job_id=job_id,
                            revision=1,
                            created_at=now,
                            updated_at=now,
                        )
                    )
            if kept != extra:
                changed.append(Turn(pk=pk, labels_extra=kept))
        Label.objects.bulk_create(labels)
        Turn.objects.bulk_update(changed, ["labels_extra"])


def labels_to_extras(apps, schema_editor):
    Turn = apps.get_model("annotations", "Turn")
    Label = apps.get_model("annotations", "Label")
    imported = Label.objects.filter(kind__in=KINDS, source_type="import", turn__isnull=False)
    by_turn = {}
    for turn_id, kind, value in imported.values_list("turn_id", "kind", "value").iterator():
        by_turn.setdefault(turn_id, {})[kind] = value
    turns = list(Turn.objects.filter(pk__in=list(by_turn)).only("pk", "labels_extra"))
    for turn in turns:
        turn.labels_extra = {**turn.labels_extra, **by_turn[turn.pk]}
    Turn.objects.bulk_update(turns, ["labels_extra"], batch_size=BATCH)
    imported.delete()


KIND_CHOICES = [
    ("intent", "Intent"),
    ("slots", "Slots"),
    ("failure_point", "Failure point"),
    ("rephrase_of", "Rephrase of"),
    ("defect", "Defect"),
    ("preferences", "Preferences"),
    ("rewrite", "Rewrite"),
    ("goal_segments", "Goal segments"),
    ("goal_success", "Goal success"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("annotations", "0005_move_review_models"),
    ]

    operations = [
        migrations.AlterField(
            model_name="label",
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=20),
        ),
        migrations.AlterField(
            model_name="reviewevent",
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=20),
        ),
        migrations.RunPython(extras_to_labels, labels_to_extras, elidable=True),
    ]
