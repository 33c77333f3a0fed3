"""Auto-accept rules for the two new label kinds, preferences and rewrite (annotations 0006)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("annotations", "0006_preferences_and_rewrite_labels"),
        ("review", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="autoacceptrule",
            name="kind",
            field=models.CharField(
                choices=[
                    ("intent", "Intent"),
                    ("slots", "Slots"),
                    ("failure_point", "Failure point"),
                    ("rephrase_of", "Rephrase of"),
                    ("defect", "Defect"),
                    ("preferences", "Preferences"),
                    ("rewrite", "Rewrite"),
                    ("goal_segments", "Goal segments"),
                    ("goal_success", "Goal success"),
                ],
                max_length=20,
            ),
        ),
    ]
