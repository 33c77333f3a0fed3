"""python manage.py export_dialogues --dataset NAME [--labels gold|reviewed|best|model:NAME]
[--format jsonl|conll|rasa|csv|hf] [--out FILE] [label filters: --kind, --status, --source, --model,
--confidence-min, --confidence-max, --reviewer, --changed-since]

The options are validated by the same serializer as the HTTP export's query string
(``annotations.serializers.ExportParamsSerializer``), and the export runs the same code."""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotations.formats.export_formats import EXPORT_FORMATS, iter_export
from annotations.models import Dataset
from annotations.serializers import ExportParamsSerializer


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
        filters = parser.add_argument_group("label filters (as the API's; repeat or comma-separate lists)")
        filters.add_argument("--kind", action="append", help="label kinds, e.g. intent,slots")
        filters.add_argument("--status", action="append", help="label statuses, e.g. accepted,corrected")
        filters.add_argument("--source", help="import, model or person")
        filters.add_argument("--model", help="labels written by this model version")
        filters.add_argument("--confidence-min", help="at least this confidence, in [0, 1]")
        filters.add_argument("--confidence-max", help="at most this confidence, in [0, 1]")
        filters.add_argument("--reviewer", help="labels this username wrote, accepted, corrected or rejected")
        filters.add_argument(
            "--changed-since", help="ISO 8601: only dialogues imported or with a label changed since then"
        )

    def handle(
        self, *args, dataset: str, labels: str, fmt: str, out: Path | None, no_progress: bool, **options
    ) -> None:
        found = Dataset.objects.filter(name=dataset).first()
        if found is None:
            raise CommandError(f"No dataset named {dataset!r}.")
        params = ExportParamsSerializer(data=_params(labels=labels, fmt=fmt, options=options))
        if not params.is_valid():
            raise CommandError(_errors_text(params.errors))
        selection = params.validated_data["labels"]
        show = out is not None and not no_progress and options.get("verbosity", 1) > 0
        count = 0
        with tqdm(total=found.dialogues.count(), unit="dialogues", disable=not show) as bar:

            def progress(done: int) -> None:
                nonlocal count
                count += done
                bar.update(done)

            chunks = iter_export(
                found,
                selection,
                fmt,
                label_filter=params.validated_data["label_filter"],
                changed_since=params.validated_data["changed_since"],
                progress=progress,
            )
            if out is None:
                _write(sys.stdout, chunks)
            else:
                _write_file(out, chunks)
        if out is not None:
            self.stdout.write(self.style.SUCCESS(f"Exported {count} dialogues of {dataset!r} to {out}."))


# The command's options by the names the export's query string gives them.
_FILTER_OPTIONS = (
    "kind",
    "status",
    "source",
    "model",
    "confidence_min",
    "confidence_max",
    "reviewer",
    "changed_since",
)


def _params(*, labels: str, fmt: str, options: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"labels": labels, "format": fmt}
    params.update({name: options[name] for name in _FILTER_OPTIONS if options.get(name) is not None})
    return params


def _errors_text(errors: dict[str, Any]) -> str:
    """``--confidence-min: A valid number is required.``, one line per option."""
    lines = []
    for field, messages in errors.items():
        option = "--" + field.replace("_", "-") if field != "non_field_errors" else "options"
        lines += [f"{option}: {message}" for message in messages]
    return "\n".join(lines)


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
