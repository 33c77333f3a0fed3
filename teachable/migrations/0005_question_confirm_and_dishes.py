"""Questions say an understood answer back in their own words (``confirm``), and the default cuisines
answer to the dishes people name for them ("oh definitely sushi"). Existing sites get both: the
default questions where a set still asks them as written, the dishes on the default cuisine entries."""

import json
import uuid
from pathlib import Path

from django.db import migrations, models

DATA = Path(__file__).resolve().parent.parent / "data" / "default_catalogues.json"
# The default questions' texts (teachable.services.guided.DEFAULT_QUESTIONS) and their confirmations.
CONFIRM = {
    ("team", "Which sports team do you follow?"): "So you follow {value}.",
    ("city", "Which city do you live in?"): "So you live in {value}.",
    ("cuisine", "What kind of food do you like?"): "So you like {value} food.",
    ("genre", "What music do you like?"): "So you like {value}.",
}


def forwards(apps, schema_editor):
    Question = apps.get_model("teachable", "Question")
    for (key, text), confirm in CONFIRM.items():
        Question.objects.filter(key=key, text=text, confirm="").update(confirm=confirm)
    Catalogue = apps.get_model("teachable", "Catalogue")
    CatalogueEntry = apps.get_model("teachable", "CatalogueEntry")
    spec = json.loads(DATA.read_text(encoding="utf-8"))["cuisine"]
    catalogue = Catalogue.objects.filter(name="cuisine").first()
    if catalogue is None:
        return
    aliases = {entry["value"]: entry.get("aliases", []) for entry in spec["entries"]}
    for entry in CatalogueEntry.objects.filter(catalogue=catalogue, value__in=aliases):
        entry.aliases = list(dict.fromkeys([*entry.aliases, *aliases[entry.value]]))
        entry.save(update_fields=["aliases"])
    # A new stamp: every process's cached index of the catalogue rebuilds with the dishes.
    catalogue.stamp = uuid.uuid4()
    catalogue.save(update_fields=["stamp"])


class Migration(migrations.Migration):
    dependencies = [("teachable", "0004_teachable_moments")]

    operations = [
        migrations.AddField(
            model_name="question",
            name="confirm",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
