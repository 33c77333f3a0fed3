"""python manage.py load_catalogues FILE.json [--merge]: add or replace entity catalogues (all or
nothing); preferences kept as written that a catalogue now knows are resolved."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selflearn_site.exceptions import ApplicationError
from teachable.services import catalogues_load


class Command(BaseCommand):
    help = (
        'Add or replace catalogues from a JSON file: {"team": {"description": ..., "entries": '
        '[{"value", "aliases", "tag"}]}}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--merge",
            action="store_true",
            help="Add the file's entries to each catalogue and keep its others (default: replace).",
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"{path}: {error}") from error
        try:
            loaded = catalogues_load(data=data, source=path.name, merge=options["merge"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        for catalogue in loaded:
            self.stdout.write(f"{catalogue.name}: {catalogue.entries.count()} entries")
