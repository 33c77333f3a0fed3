"""The default catalogues (teams, cities, cuisines, genres) from teachable/data, so that answers and
preferences resolve on a fresh site; `load_catalogues FILE` adds or replaces any of them later."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "default_catalogues.json"


def load(apps, schema_editor):
    Catalogue = apps.get_model("teachable", "Catalogue")
    CatalogueEntry = apps.get_model("teachable", "CatalogueEntry")
    with DATA.open(encoding="utf-8") as source:
        data = json.load(source)
    for name, spec in data.items():
        catalogue, created = Catalogue.objects.get_or_create(
            name=name, defaults={"description": spec.get("description", "")}
        )
        if created:
            CatalogueEntry.objects.bulk_create(
                CatalogueEntry(catalogue=catalogue, value=e["value"], aliases=e.get("aliases", []), tag=e.get("tag", ""))
                for e in spec["entries"]
            )


def unload(apps, schema_editor):
    apps.get_model("teachable", "Catalogue").objects.filter(
        name__in=json.loads(DATA.read_text(encoding="utf-8"))
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("teachable", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
