"""python manage.py export_dialogues --dataset NAME [--labels gold|reviewed|best|model:NAME]
[--format jsonl|conll|rasa|csv|hf] [--out FILE]"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotations.export_formats import EXPORT_FORMATS, iter_export
from annotations.exporting import LabelSelection
from annotations.models import Dataset
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Export a dataset's dialogues as FORMAT.md JSON Lines, or as training data in another format "
        "(gzip when FILE ends in .gz)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--labels", default="gold", help="gold (default), reviewed, best, or model:NAME")
        parser.add_argument(
            "--format",
            dest="fmt",
            default="jsonl",
            choices=list(EXPORT_FORMATS),
            help="jsonl (default: FORMAT.md), conll, rasa, csv or hf; see annotations/export_formats.py",
        )
        parser.add_argument("--out", type=Path, help="the file to write (default: standard output)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self, *args, dataset: str, labels: str, fmt: str, out: Path | None, no_progress: bool, **options
    ) -> None:
        found = Dataset.objects.filter(name=dataset).first()
        if found is None:
            raise CommandError(f"No dataset named {dataset!r}.")
        try:
            selection = LabelSelection.parse(labels)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        show = out is not None and not no_progress and options.get("verbosity", 1) > 0
        count = 0
        with tqdm(total=found.dialogues.count(), unit="dialogues", disable=not show) as bar:

            def progress(done: int) -> None:
                nonlocal count
                count += done
                bar.update(done)

            chunks = iter_export(found, selection, fmt, progress=progress)
            if out is None:
                _write(sys.stdout, chunks)
            else:
                _write_file(out, chunks)
        if out is not None:
            self.stdout.write(self.style.SUCCESS(f"Exported {count} dialogues of {dataset!r} to {out}."))


def _write(stream, chunks) -> None:
    for chunk in chunks:
        stream.write(chunk)


def _write_file(path: Path, chunks) -> None:
    """Write to a temporary file beside the target and move it into place, so a failed export never
    leaves a half-written file under the target's name."""
    partial = path.with_name(path.name + ".partial")
    try:
        if path.suffix == ".gz":
            with gzip.open(partial, "wt", encoding="utf-8", compresslevel=5) as stream:
                _write(stream, chunks)
        else:
            with open(partial, "w", encoding="utf-8", newline="\n") as stream:
                _write(stream, chunks)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
