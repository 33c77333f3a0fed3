"""Loading catalogues (all or nothing); each load gives the catalogue a new stamp, which tells every
process's cached index (teachable.selectors.catalogue_index) to rebuild, and resolves the preferences
kept as written that the catalogue now knows (teachable.services.preferences.preferences_resolve)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.db import transaction

from annotations.services import dataset_serving_changed
from selflearn_site.exceptions import ApplicationError
from teachable.models import Catalogue, CatalogueEntry
from teachable.services.preferences import preferences_resolve

DEFAULT_CATALOGUES = Path(__file__).resolve().parent.parent / "data" / "default_catalogues.json"


def catalogues_load(
    *, data: dict[str, Any], source: str = "catalogues", merge: bool = False
) -> list[Catalogue]:
    """Create or replace the catalogues in ``data`` ({name: {"description", "entries": [{"value",
    "aliases", "tag"}]}}), all or nothing; errors name the catalogue, entry and field.

    An entry whose value stays keeps its row (the preferences resolved to it keep it too); entries
    gone from ``data`` are deleted, unless ``merge`` (the catalogue learns the entries given and keeps
    the others). Then the catalogue's key resolves the preferences it now knows."""
    if not isinstance(data, dict):
        raise ApplicationError(
            f"{source}: must be an object keyed by catalogue name", extra={"field": "data"}
        )
    loaded: list[Catalogue] = []
    with transaction.atomic():
        for name, spec in data.items():
            where = f"{source}: {name}"
            entries = spec.get("entries") if isinstance(spec, dict) else None
            if not isinstance(entries, list):
                raise ApplicationError(f"{where}.entries must be an array", extra={"field": "entries"})
            catalogue, created = Catalogue.objects.get_or_create(
                name=name, defaults={"description": str(spec.get("description", ""))[:200]}
            )
            if not created:
                catalogue.stamp = uuid.uuid4()
                catalogue.description = str(spec.get("description", catalogue.description))[:200]
                catalogue.save(update_fields=["stamp", "description"])
            rows = []
            seen: set[str] = set()
            for number, entry in enumerate(entries):
                value = entry.get("value") if isinstance(entry, dict) else None
                if not isinstance(value, str) or not value.strip():
                    raise ApplicationError(
                        f"{where}.entries[{number}].value must be a non-empty string",
                        extra={"field": "value"},
                    )
                value = value.strip()
                if value in seen:
                    raise ApplicationError(
                        f"{where}.entries[{number}].value {value!r} appears twice", extra={"field": "value"}
                    )
                seen.add(value)
                aliases = entry.get("aliases", [])
                if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                    raise ApplicationError(
                        f"{where}.entries[{number}].aliases must be an array of strings",
                        extra={"field": "aliases"},
                    )
                rows.append(
                    CatalogueEntry(
                        catalogue=catalogue,
                        value=value,
                        aliases=aliases,
                        tag=str(entry.get("tag", "")),
                    )
                )
            existing = {entry.value: entry for entry in catalogue.entries.all()}
            # Rows stay (with their preferences); only those whose aliases or tag changed are written.
            changed = []
            for row in rows:
                old = existing.get(row.value)
                if old is not None and (old.aliases, old.tag) != (row.aliases, row.tag):
                    row.pk = old.pk
                    changed.append(row)
            CatalogueEntry.objects.bulk_update(changed, ["aliases", "tag"], batch_size=500)
            if not merge:
                catalogue.entries.exclude(value__in=[row.value for row in rows]).delete()
            CatalogueEntry.objects.bulk_create([row for row in rows if row.value not in existing])
            preferences_resolve(catalogue=catalogue)
            loaded.append(catalogue)
        # Every dataset's rules may name these catalogues: the served resolvers read them again.
        dataset_serving_changed(dataset=None)
    return loaded


def catalogues_load_defaults() -> list[Catalogue]:
    """Teams, cities, cuisines and genres: the catalogues the demo and the default question sets use."""
    with DEFAULT_CATALOGUES.open(encoding="utf-8") as source:
        return catalogues_load(data=json.load(source), source=DEFAULT_CATALOGUES.name)
