"""Preferences say whether a catalogue entry stands behind their value (``resolved``): a value no
catalogue knows ("film": "The Zebra Chronicles") is kept as written and marked unresolved until a
catalogue learns it. An existing preference is resolved where it has its entity."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Preference = apps.get_model("teachable", "Preference")
    Preference.objects.filter(entity__isnull=True).update(resolved=False)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0015_dataset_name_key_unique"),
        ("teachable", "0005_question_confirm_and_dishes"),
    ]

    operations = [
        migrations.AddField(
            model_name="preference",
            name="resolved",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="preferenceevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Learned"),
                    ("supersede", "Superseded"),
                    ("correct", "Corrected"),
                    ("delete", "Deleted"),
                    ("resolve", "Resolved by a catalogue"),
                    ("unresolve", "No longer in a catalogue"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="preference",
            index=models.Index(
                condition=models.Q(("active", True), ("resolved", False)),
                fields=["key"],
                name="preference_unresolved_key",
            ),
        ),
    ]
