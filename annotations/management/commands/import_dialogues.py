"""python manage.py import_dialogues FILE --dataset NAME [--on-duplicate POLICY] [--skip-invalid]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotations.formats.importing import (
    DUPLICATE_POLICIES,
    DuplicatePolicy,
    ImportOptions,
    ImportSource,
)
from annotations.services import dataset_import_file
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Import dialogues from a FORMAT.md JSON Lines file (plain or .gz) into a dataset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .jsonl or .jsonl.gz file")
        parser.add_argument(
            "--dataset", required=True, help="the dataset to import into (created if missing)"
        )
        parser.add_argument(
            "--on-duplicate",
            choices=DUPLICATE_POLICIES,
            default="error",
            help="what to do with a dialogue id already in the dataset or twice in the file (default: error)",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid lines and write the invalid ones, untouched, to a rejects file",
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help="where --skip-invalid writes rejected lines (default: FILE.rejects.jsonl)",
        )
        parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")

    def handle(
        self,
        *args,
        file: Path,
        dataset: str,
        on_duplicate: DuplicatePolicy,
        skip_invalid: bool,
        rejects: Path | None,
        no_progress: bool,
        **options,
    ) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        rejects_path = rejects or file.with_name(
            file.name.removesuffix(".gz").removesuffix(".jsonl") + ".rejects.jsonl"
        )
        bar = _PhaseBar(disable=no_progress or options.get("verbosity", 1) == 0)
        try:
            report = dataset_import_file(
                source=ImportSource.from_path(file),
                name=dataset,
                options=ImportOptions(
                    on_duplicate=on_duplicate,
                    skip_invalid=skip_invalid,
                    rejects_path=rejects_path if skip_invalid else None,
                ),
                progress=bar.update,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(report.summary()))


class _PhaseBar:
    """One tqdm bar per phase of the import: bytes while validating, dialogues while writing."""

    UNITS = {"validating": ("B", True), "writing": ("dialogues", False)}

    def __init__(self, *, disable: bool) -> None:
        self.disable = disable
        self.phase: str | None = None
        self.bar: tqdm | None = None

    def update(self, phase: str, done: int, total: int | None) -> None:
        if self.disable:
            return
        if phase != self.phase:
            self.close()
            unit, scale = self.UNITS.get(phase, ("", False))
            self.bar = tqdm(total=total, desc=phase, unit=unit, unit_scale=scale, leave=True)
            self.phase = phase
        assert self.bar is not None
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
