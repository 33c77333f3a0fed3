"""Import of FORMAT.md JSON Lines into a dataset: one service behind the CLI, the upload page and the API.

It reads the file twice, streaming both times so memory stays flat however large the file is:

1. validate every line (no writes): collect every bad line as ``FILE:LINE: field: reason``, find
   duplicate ids within the file and against the dataset;
2. write the valid lines in batches inside one transaction, so a failed import leaves the database
   as it was.

With ``skip_invalid`` the bad lines are written, untouched, to a rejects file and the rest imported.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any, Literal

from django.conf import settings
from django.db import connection, transaction

from annotations.formats.bulk_sql import (
    foreign_keys_checked_per_statement,
)
from annotations.formats.import_reading import (
    MAX_LISTED_ERRORS,
    ImportCancelled,
    ImportFailed,
    ImportLimits,
    ImportSource,
    read_lines,
)
from annotations.formats.import_rows import BatchWriter
from annotations.models import Dataset, Dialogue, Label, Turn
from annotations.turn_search import bulk_indexing
from selflearn_site.exceptions import ApplicationError

DuplicatePolicy = Literal["error", "skip", "replace"]
DUPLICATE_POLICIES: tuple[DuplicatePolicy, ...] = ("error", "skip", "replace")
# Ids per query when looking for dialogues that are already in the dataset.
EXISTING_ID_QUERY_SIZE = 500

ProgressCallback = Callable[[str, int, "int | None"], None]
# The reading side's names that the callers of an import use (the CLI, the services, the recipes).
__all__ = [
    "DUPLICATE_POLICIES",
    "DuplicatePolicy",
    "ImportCancelled",
    "ImportFailed",
    "ImportLimits",
    "ImportOptions",
    "ImportReport",
    "ImportSource",
    "import_dialogues",
]


@dataclass(frozen=True)
class ImportOptions:
    on_duplicate: DuplicatePolicy = "error"
    skip_invalid: bool = False
    # Where rejected lines go with skip_invalid; None keeps them in a temporary file (see ImportReport).
    rejects_path: Path | None = None
    # How a duplicate error tells its reader to let duplicates through, in the words of where they
    # imported: the command line's option here; the upload page and the API pass their own.
    duplicate_hint: str = "use --on-duplicate skip or replace"


@dataclass
class ImportReport:
    dataset: str
    source: str
    dialogues: int = 0
    turns: int = 0
    labels: int = 0
    replaced: int = 0
    skipped_duplicates: int = 0
    rejected_lines: int = 0
    rejects_path: str | None = None
    seconds: float = 0.0
    # The rejected lines when no rejects_path was given: a temporary file, removed with the report.
    _rejects_file: IO[bytes] | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self) if not item.name.startswith("_")}

    def rejects_file(self) -> IO[bytes] | None:
        """The rejected lines, from the start, when they were kept in a temporary file."""
        if self._rejects_file is not None:
            self._rejects_file.seek(0)
        return self._rejects_file

    def summary(self) -> str:
        parts = [f"Imported {self.dialogues} dialogues ({self.turns} turns, {self.labels} labels)"]
        parts.append(f"into {self.dataset!r} in {self.seconds:.1f} s")
        if self.replaced:
            parts.append(f"; replaced {self.replaced}")
        if self.skipped_duplicates:
            parts.append(f"; skipped {self.skipped_duplicates} duplicates")
        if self.rejected_lines:
            where = f" to {self.rejects_path}" if self.rejects_path else ""
            parts.append(f"; rejected {self.rejected_lines} invalid lines{where}")
        return " ".join(parts[:2]) + "".join(parts[2:]) + "."


# ---------------------------------------------------------------------------------------------------
# The two passes
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the validation pass decided: which line carries each dialogue id that will be written."""

    chosen_line: dict[str, int] = field(default_factory=dict)
    existing: set[str] = field(default_factory=set)
    invalid_lines: set[int] = field(default_factory=set)
    skipped_duplicates: int = 0
    rejected: int = 0


def import_dialogues(
    *,
    source: ImportSource,
    dataset: Dataset,
    options: ImportOptions | None = None,
    progress: ProgressCallback | None = None,
    job: Any = None,
    limits: ImportLimits | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_written: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every dialogue of ``source`` into ``dataset``, or nothing: see the module's docstring.
    ``should_stop`` is asked often (it should answer from a clock most times); when it answers True
    the import stops with ``ImportCancelled`` and nothing is written. ``on_written`` runs inside the
    import's transaction once everything is written, as its last statement: what it records commits
    with the dialogues or not at all (an import job notes there that its write is done)."""
    options = options or ImportOptions()
    limits = limits or ImportLimits.from_settings()
    if options.on_duplicate not in DUPLICATE_POLICIES:
        raise ApplicationError(f"on_duplicate must be one of {', '.join(DUPLICATE_POLICIES)}")
    started = time.monotonic()
    report = ImportReport(dataset=dataset.name, source=source.name)
    rejects = _open_rejects(options)
    try:
        with _cyclic_collector_paused():
            plan = _validate(source, dataset, options, rejects, progress, limits, should_stop)
            _write(source, dataset, options, plan, report, progress, job, limits, should_stop, on_written)
    except BaseException:
        # Nothing was imported, so a rejects file would describe an import that did not happen.
        if rejects is not None:
            rejects.close()
            if options.rejects_path is not None:
                options.rejects_path.unlink(missing_ok=True)
        raise
    _refresh_planner_statistics(report.dialogues)
    report.skipped_duplicates, report.rejected_lines = plan.skipped_duplicates, plan.rejected
    if rejects is not None:
        if options.rejects_path is None:
            report._rejects_file = rejects  # the caller stores it where the person can fetch it
        else:
            rejects.close()
            if plan.rejected:
                report.rejects_path = str(options.rejects_path)
            else:
                options.rejects_path.unlink(missing_ok=True)
    report.seconds = round(time.monotonic() - started, 3)
    return report


# An import that grows the dialogues by this share or more refreshes PostgreSQL's statistics at once
# (autovacuum's own default threshold for ANALYZE).
STATISTICS_REFRESH_SHARE = 0.1


def _refresh_planner_statistics(dialogues_written: int) -> None:
    """PostgreSQL plans from the tables' statistics, which autovacuum refreshes a while after a large
    write. Until then it guessed that a sixth of the labels were newer than any given time and scanned
    all of them: an incremental export with nothing changed waited 0.6 s for its first byte at 100,000
    dialogues (3 ms with statistics). An import that grew the dialogues by a tenth or more refreshes them
    itself; ANALYZE reads a fixed-size sample, about a second even at a million dialogues."""
    if connection.vendor != "postgresql" or not dialogues_written:
        return
    tables = [model._meta.db_table for model in (Dialogue, Turn, Label)]
    with connection.cursor() as cursor:
        # The planner's estimate of the rows before this import: -1 (or 0) when never analysed.
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [tables[0]])
        (estimated,) = cursor.fetchone()
        if estimated > 0 and dialogues_written < STATISTICS_REFRESH_SHARE * estimated:
            return
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")


@contextlib.contextmanager
def _cyclic_collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the import's duration.

    Parsing a line makes some fifty dicts, lists and strings; with the collector on, every few hundred
    lines it walked the objects alive (a whole batch, and everything the process had loaded), 13% of
    an import. What an import makes holds no cycles and is freed by reference counting as each batch
    is written, so memory stays flat without the collector; it runs again once the import is over.
    The switch is per process: imports run in Celery's prefork children and management commands,
    never beside other threads' work."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _open_rejects(options: ImportOptions) -> IO[bytes] | None:
    if not options.skip_invalid:
        return None
    if options.rejects_path is not None:
        return options.rejects_path.open("wb")
    import tempfile

    return tempfile.TemporaryFile()


class _BadLines:
    """Counts the bad lines and keeps the messages of the first ones."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, *messages: str) -> None:
        self.count += 1
        self.messages.extend(messages[: MAX_LISTED_ERRORS - len(self.messages)])


def _validate(
    source: ImportSource,
    dataset: Dataset,
    options: ImportOptions,
    rejects: IO[bytes] | None,
    progress: ProgressCallback | None,
    limits: ImportLimits,
    should_stop: Callable[[], bool] | None,
) -> _Plan:
    plan = _Plan()
    bad = _BadLines()
    first_line: dict[str, int] = {}
    unchecked: list[tuple[str, int]] = []  # ids not yet looked up in the dataset, with their line

    def look_up_existing() -> None:
        ids = [dialogue_id for dialogue_id, _ in unchecked]
        found = set(
            Dialogue.objects.filter(dataset=dataset, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        )
        plan.existing |= found
        if options.on_duplicate == "error":
            for dialogue_id, number in unchecked:
                if dialogue_id in found:
                    bad.add(
                        f"{source.name}:{number}: id: dialogue {dialogue_id!r} is already in dataset "
                        f"{dataset.name!r} ({options.duplicate_hint})"
                    )
        unchecked.clear()

    on_bytes = (lambda done, total: progress("validating", done, total)) if progress else None
    for line in read_lines(source, on_bytes, limits=limits, should_stop=should_stop):
        if line.errors:
            plan.invalid_lines.add(line.number)
            if rejects is not None:
                rejects.write(line.raw if line.raw.endswith(b"\n") else line.raw + b"\n")
                plan.rejected += 1
            else:
                bad.add(*line.errors)
            continue
        dialogue_id: str = line.data["id"]
        if dialogue_id not in first_line:
            first_line[dialogue_id] = plan.chosen_line[dialogue_id] = line.number
            unchecked.append((dialogue_id, line.number))
            if len(unchecked) >= EXISTING_ID_QUERY_SIZE:
                look_up_existing()
        elif options.on_duplicate == "error":
            bad.add(
                f"{source.name}:{line.number}: id: dialogue {dialogue_id!r} appears twice in the file "
                f"(first on line {first_line[dialogue_id]})"
            )
        else:
            plan.skipped_duplicates += 1
            if options.on_duplicate == "replace":
                # The last occurrence wins, as it would if the lines were imported one after another.
                plan.chosen_line[dialogue_id] = line.number
    if unchecked:
        look_up_existing()
    if bad.count:
        raise ImportFailed(bad.messages, bad.count)
    if options.on_duplicate == "skip":
        plan.skipped_duplicates += len(plan.existing)
    return plan


def _write(
    source: ImportSource,
    dataset: Dataset,
    options: ImportOptions,
    plan: _Plan,
    report: ImportReport,
    progress: ProgressCallback | None,
    job: Any,
    limits: ImportLimits,
    should_stop: Callable[[], bool] | None,
    on_written: Callable[[ImportReport], None] | None = None,
) -> None:
    to_write = len(plan.chosen_line) - (len(plan.existing) if options.on_duplicate == "skip" else 0)
    if progress:
        progress("writing", 0, to_write)
    batch_size = settings.SELFLEARN_IMPORT_BATCH_SIZE
    batch: list[dict[str, Any]] = []
    with (
        transaction.atomic(),
        foreign_keys_checked_per_statement() as foreign_keys,
        bulk_indexing() as search_index,
    ):
        writer = BatchWriter(
            dataset=dataset,
            job=job,
            replace=options.on_duplicate == "replace",
            search_index=search_index,
            foreign_keys=foreign_keys,
        )
        # The lines were validated by the first pass; this one only parses them again.
        for line in read_lines(source, validate=False, limits=limits, should_stop=should_stop):
            if line.number in plan.invalid_lines:
                continue
            if should_stop is not None and should_stop():
                raise ImportCancelled()  # the transaction rolls back: nothing is written
            if line.errors:
                # The file changed between the two passes; stop rather than write what was not checked.
                raise ImportFailed(
                    [*line.errors[:MAX_LISTED_ERRORS], "(the file changed while importing)"], 1
                )
            dialogue_id = line.data["id"]
            if plan.chosen_line.get(dialogue_id) != line.number:
                continue
            if options.on_duplicate == "skip" and dialogue_id in plan.existing:
                continue
            batch.append(line.data)
            if len(batch) >= batch_size:
                writer.write(batch)
                batch = []
                if progress:
                    progress("writing", writer.dialogues, to_write)
        if batch:
            writer.write(batch)
        report.dialogues, report.turns, report.labels = writer.dialogues, writer.turns, writer.labels
        report.replaced = writer.replaced
        if on_written is not None:
            # Last in the transaction: progress on PostgreSQL goes through a connection of its own, which
            # must not wait for a row this transaction holds.
            on_written(report)
    if progress:
        progress("writing", writer.dialogues, to_write)
