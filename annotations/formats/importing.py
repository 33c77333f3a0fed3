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
import gzip
import json
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any, Literal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from annotations.formats.bulk_sql import (
    LABEL_COLUMNS,
    ForeignKeyChecks,
    datetime_value,
    foreign_keys_checked_per_statement,
    insert_rows,
    json_value,
)
from annotations.formats.dialogue_format import (
    DIALOGUE_FIELDS,
    LABELS_FIELDS,
    TURN_FIELDS,
    TURN_LABEL_FIELDS,
    parse_json_line,
    turn_ids,
    validate_dialogue,
)
from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelSource, LabelStatus, Turn
from annotations.turn_search import BulkIndex, bulk_indexing
from selflearn_site.exceptions import ApplicationError
from selflearn_site.json_limits import json_too_deep

DuplicatePolicy = Literal["error", "skip", "replace"]
DUPLICATE_POLICIES: tuple[DuplicatePolicy, ...] = ("error", "skip", "replace")
# How many bad lines an error message lists; the count of all of them is given too.
MAX_LISTED_ERRORS = 100
# Ids per query when looking for dialogues that are already in the dataset.
EXISTING_ID_QUERY_SIZE = 500

ProgressCallback = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True)
class ImportOptions:
    on_duplicate: DuplicatePolicy = "error"
    skip_invalid: bool = False
    # Where rejected lines go with skip_invalid; None keeps them in a temporary file (see ImportReport).
    rejects_path: Path | None = None
    # How a duplicate error tells its reader to let duplicates through, in the words of where they
    # imported: the command line's option here; the upload page and the API pass their own.
    duplicate_hint: str = "use --on-duplicate skip or replace"


@dataclass(frozen=True)
class ImportSource:
    """A named file to import; ``open`` gives a fresh binary stream each time it is called."""

    name: str
    open: Callable[[], contextlib.AbstractContextManager[IO[bytes]]]

    @classmethod
    def from_path(cls, path: Path) -> ImportSource:
        return cls(name=str(path), open=lambda: path.open("rb"))


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


class ImportFailed(ApplicationError):
    """Nothing was written. ``errors`` lists the bad lines as ``FILE:LINE: field: reason``."""

    def __init__(self, errors: list[str], total: int) -> None:
        listed = "\n".join(errors)
        more = f"\n... and {total - len(errors)} more" if total > len(errors) else ""
        noun = "line" if total == 1 else "lines"
        super().__init__(
            f"Import failed: {total} invalid {noun}; nothing was imported.\n{listed}{more}",
            extra={"errors": errors, "error_count": total},
        )
        self.errors = errors
        self.total = total


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Line:
    number: int
    raw: bytes
    data: Any = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold (settings ``SELFLEARN_IMPORT_MAX_*`` and ``SELFLEARN_JSON_MAX_DEPTH``):
    each refusal is a line-numbered error, found before the line is parsed where it can be."""

    decompressed_bytes: int
    line_bytes: int
    depth: int
    turns: int
    slots: int

    @classmethod
    def from_settings(cls) -> ImportLimits:
        return cls(
            decompressed_bytes=settings.SELFLEARN_IMPORT_MAX_DECOMPRESSED_BYTES,
            line_bytes=settings.SELFLEARN_IMPORT_MAX_LINE_BYTES,
            depth=settings.SELFLEARN_JSON_MAX_DEPTH,
            turns=settings.SELFLEARN_IMPORT_MAX_TURNS,
            slots=settings.SELFLEARN_IMPORT_MAX_SLOTS,
        )


class ImportCancelled(Exception):
    """The job was cancelled while importing; nothing was written."""


# Bytes read (decompressed) at a time: every block, progress is reported and a cancel is looked for.
BLOCK_BYTES = 1 << 20
# Lines holding only whitespace, as many as follow each other: skipped at C speed (a newline bomb).
_BLANK_LINES = re.compile(rb"(?:[ \t\r\f\v]*+\n)*+")


def _read_lines(
    source: ImportSource,
    on_bytes: Callable[[int, int], None] | None = None,
    *,
    validate: bool = True,
    limits: ImportLimits,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[_Line]:
    """Yield each non-blank line with its number, decoded and parsed, or with the errors that stop it.

    Plain and gzip files alike (told apart by their first bytes, not their name), read a block at a
    time so memory stays flat whatever the file: a line longer than the limit is an error and is read
    no further, and a file that decompresses beyond the limit ends the import. A truncated or corrupt
    gzip stream ends it too: what comes after the break cannot be read, so it cannot be rejected line
    by line either. Between blocks a cancel is looked for (``should_stop``), so even a file of nothing
    but newlines stops within a second.
    """
    with source.open() as raw:
        size = raw.seek(0, 2)
        raw.seek(0)
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw  # type: ignore[assignment]
        number = 0  # lines read to their end
        carry = b""  # the start of a line that goes on in the next block
        overlong = False  # the rest of a line past the limit is skipped
        total = 0
        try:
            while block := stream.read(BLOCK_BYTES):
                total += len(block)
                if total > limits.decompressed_bytes:
                    raise ImportFailed(
                        [
                            f"{source.name}:{number + 1}: file: decompresses to more than the limit of "
                            f"{limits.decompressed_bytes} bytes"
                        ],
                        1,
                    )
                if should_stop is not None and should_stop():
                    raise ImportCancelled()
                if on_bytes is not None:
                    on_bytes(raw.tell(), size)
                start = 0
                while start < len(block):
                    if not carry and not overlong:
                        blank = _BLANK_LINES.match(block, start)
                        assert blank is not None  # the pattern matches the empty string
                        if blank.end() > start:
                            number += block.count(b"\n", start, blank.end())
                            start = blank.end()
                            continue
                    end = block.find(b"\n", start)
                    piece = block[start:] if end == -1 else block[start : end + 1]
                    start = len(block) if end == -1 else end + 1
                    if overlong:
                        if end != -1:
                            overlong, number = False, number + 1
                        continue
                    if len(carry) + len(piece) > limits.line_bytes:
                        kept, carry, too_long = (carry + piece)[: limits.line_bytes], b"", number + 1
                        if end == -1:
                            overlong = True  # its end is in a later block; number counts it there
                        else:
                            number += 1
                        yield _Line(
                            number=too_long,
                            raw=kept,
                            errors=[
                                f"{source.name}:{too_long}: line: longer than the limit of "
                                f"{limits.line_bytes} bytes"
                            ],
                        )
                        continue
                    if end == -1:
                        carry += piece
                        continue
                    line, carry = carry + piece, b""
                    number += 1
                    if line.strip():
                        yield _parse_line(source.name, number, line, validate=validate, limits=limits)
            if carry.strip() and not overlong:
                yield _parse_line(source.name, number + 1, carry, validate=validate, limits=limits)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as error:
            raise ImportFailed(
                [f"{source.name}:{number + 1}: gzip: the compressed file is truncated or corrupt ({error})"],
                1,
            ) from error
        if on_bytes is not None:
            on_bytes(size, size)


def _parse_line(name: str, number: int, raw: bytes, *, validate: bool, limits: ImportLimits) -> _Line:
    line = _Line(number=number, raw=raw)
    where = f"{name}:{number}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start]
        line.errors.append(f"{where}: encoding: not UTF-8 (byte 0x{bad:02x} at byte {error.start + 1})")
        return line
    if text.startswith("\ufeff"):
        line.errors.append(f"{where}: encoding: a byte-order mark, which the format does not allow")
        return line
    if json_too_deep(raw, limits.depth):
        line.errors.append(f"{where}: json: nested more than the limit of {limits.depth} levels")
        return line
    try:
        line.data = parse_json_line(text)
    except json.JSONDecodeError as error:
        line.errors.append(f"{where}: json: not valid JSON: {error.msg} at column {error.colno}")
        return line
    except (ValueError, RecursionError) as error:
        line.errors.append(f"{where}: json: not valid JSON: {error}")
        return line
    too_large = _beyond_limits(line.data, limits)
    if too_large:
        line.errors.extend(f"{where}: {problem}" for problem in too_large)
        return line
    if validate:
        line.errors.extend(f"{where}: {problem}" for problem in validate_dialogue(line.data))
    return line


def _beyond_limits(data: Any, limits: ImportLimits) -> list[str]:
    """The turns and slots past the limits, checked before the (costlier) validation."""
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        return []
    turns = data["turns"]
    if len(turns) > limits.turns:
        return [f"turns: {len(turns)} turns, more than the limit of {limits.turns}"]
    problems = []
    for position, turn in enumerate(turns):
        slots = turn.get("slots") if isinstance(turn, dict) else None
        if isinstance(slots, list) and len(slots) > limits.slots:
            problems.append(
                f"turns[{position}].slots: {len(slots)} slots, more than the limit of {limits.slots}"
            )
    labelled = data.get("labels")
    labelled_turns = labelled.get("turns") if isinstance(labelled, dict) else None
    for turn_id, entry in (labelled_turns or {}).items() if isinstance(labelled_turns, dict) else ():
        slots = entry.get("slots") if isinstance(entry, dict) else None
        if isinstance(slots, list) and len(slots) > limits.slots:
            problems.append(
                f"labels.turns.{turn_id}.slots: {len(slots)} slots, more than the limit of {limits.slots}"
            )
    return problems


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
) -> ImportReport:
    """Import every dialogue of ``source`` into ``dataset``, or nothing: see the module's docstring.
    ``should_stop`` is asked often (it should answer from a clock most times); when it answers True
    the import stops with ``ImportCancelled`` and nothing is written."""
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
            _write(source, dataset, options, plan, report, progress, job, limits, should_stop)
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
    for line in _read_lines(source, on_bytes, limits=limits, should_stop=should_stop):
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
        writer = _BatchWriter(
            dataset=dataset,
            job=job,
            replace=options.on_duplicate == "replace",
            search_index=search_index,
            foreign_keys=foreign_keys,
        )
        # The lines were validated by the first pass; this one only parses them again.
        for line in _read_lines(source, validate=False, limits=limits, should_stop=should_stop):
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
    if progress:
        progress("writing", writer.dialogues, to_write)
    report.dialogues, report.turns, report.labels = writer.dialogues, writer.turns, writer.labels
    report.replaced = writer.replaced


# ---------------------------------------------------------------------------------------------------
# From parsed lines to rows
# ---------------------------------------------------------------------------------------------------


class _BatchWriter:
    """Turns validated dialogues into Dialogue, Turn and Label rows, a batch at a time."""

    DIALOGUE_COLUMNS = (
        "dataset_id",
        "external_id",
        "user_key",
        "device",
        "locale",
        "started_at",
        "metadata",
        "extra",
        "labels_extra",
        "import_job_id",
        "created_at",
    )
    # The turn's own fields are stored under their FORMAT.md names (the id as external_id).
    TURN_COLUMNS = ("dialogue_id", "position", "external_id", *TURN_FIELDS[1:], "extra", "labels_extra")

    def __init__(
        self,
        *,
        dataset: Dataset,
        job: Any,
        replace: bool,
        search_index: BulkIndex,
        foreign_keys: ForeignKeyChecks,
    ) -> None:
        self.dataset, self.replace, self.search_index = dataset, replace, search_index
        self.foreign_keys = foreign_keys
        self.job_id = job.pk if job is not None else None
        self.dialogues = self.turns = self.labels = self.replaced = 0

    def write(self, batch: list[dict[str, Any]]) -> None:
        external_ids = [data["id"] for data in batch]
        if self.replace:
            existing = Dialogue.objects.filter(dataset=self.dataset, external_id__in=external_ids)
            self.replaced += existing.count()
            with self.foreign_keys.deferred():
                existing.delete()
        now = datetime_value(timezone.now())
        insert_rows(Dialogue, self.DIALOGUE_COLUMNS, (self._dialogue_row(data, now) for data in batch))
        dialogue_pk = dict(
            Dialogue.objects.filter(dataset=self.dataset, external_id__in=external_ids).values_list(
                "external_id", "pk"
            )
        )
        insert_rows(
            Turn,
            self.TURN_COLUMNS,
            (row for data in batch for row in self._turn_rows(dialogue_pk[data["id"]], data)),
        )
        self.search_index.add_dialogues(list(dialogue_pk.values()))
        turn_pk = {
            (dialogue, position): pk
            for dialogue, position, pk in Turn.objects.filter(
                dialogue_id__in=dialogue_pk.values()
            ).values_list("dialogue_id", "position", "pk")
        }
        label_rows = [
            row for data in batch for row in self._label_rows(dialogue_pk[data["id"]], data, turn_pk, now)
        ]
        insert_rows(Label, LABEL_COLUMNS, label_rows)
        self.dialogues += len(batch)
        self.turns += len(turn_pk)
        self.labels += len(label_rows)

    def _dialogue_row(self, data: dict[str, Any], now: Any) -> tuple:
        labels = data.get("labels") or {}
        return (
            self.dataset.pk,
            data["id"],
            data.get("user_id"),
            json_value(data.get("device")),
            data.get("locale"),
            data.get("started_at"),
            json_value(data.get("metadata")),
            json_value({key: value for key, value in data.items() if key not in DIALOGUE_FIELDS}),
            json_value({key: value for key, value in labels.items() if key not in LABELS_FIELDS}),
            self.job_id,
            now,
        )

    def _turn_rows(self, dialogue_pk: int, data: dict[str, Any]) -> Iterator[tuple]:
        turn_labels = (data.get("labels") or {}).get("turns") or {}
        for position, (turn_id, turn) in enumerate(zip(turn_ids(data["turns"]), data["turns"], strict=True)):
            entry = turn_labels.get(turn_id)
            get = turn.get
            yield (
                dialogue_pk,
                position,
                turn_id,
                get("timestamp"),
                turn["utterance"],
                get("response"),
                get("asr_confidence"),
                get("nlu_confidence"),
                get("domain"),
                get("intent"),
                json_value(get("slots")),
                get("status"),
                get("barge_in"),
                get("feedback"),
                json_value(get("metadata")),
                # Unknown keys are rare: a subset test finds there are none without a loop in Python.
                _unknown_keys(turn, _TURN_FIELD_SET),
                _unknown_keys(entry, _TURN_LABEL_FIELD_SET) if entry else "{}",
            )

    def _label_rows(
        self, dialogue_pk: int, data: dict[str, Any], turn_pk: dict[tuple[int, int], int], now: Any
    ) -> Iterator[tuple]:
        """Labels in the file are gold, with source "import".

        Most of an import's rows are labels: the row is built inline from constants (the enum members'
        ``.value`` went through a descriptor on every label)."""
        labels = data.get("labels") or {}
        position_of = {turn_id: position for position, turn_id in enumerate(turn_ids(data["turns"]))}
        # dialogue_id, turn_id, kind, value | confidence, status, source_type, model_version_id,
        # author_id, job_id, revision, created_at, updated_at (LABEL_COLUMNS).
        tail = (None, _GOLD, _IMPORT, None, None, self.job_id, 1, now, now)

        goals = labels.get("goals")
        if goals is not None:
            # Success is a label of its own (reviewed on its own); the rest of each goal stays together.
            segments = [{key: value for key, value in goal.items() if key != "success"} for goal in goals]
            yield (dialogue_pk, None, _GOAL_SEGMENTS, json_value(segments), *tail)
            for goal in goals:
                if goal.get("success") is not None:
                    turn = turn_pk[(dialogue_pk, position_of[goal["turns"][0]])]
                    yield (dialogue_pk, turn, _GOAL_SUCCESS, json_value(goal["success"]), *tail)
        for turn_id, entry in (labels.get("turns") or {}).items():
            turn = turn_pk[(dialogue_pk, position_of[turn_id])]
            for kind in TURN_LABEL_FIELDS:
                if kind in entry:
                    yield (dialogue_pk, turn, kind, json_value(entry[kind]), *tail)


def _unknown_keys(data: dict[str, Any], known: frozenset[str]) -> str | None:
    """The keys of ``data`` the format does not name, in their order, as the database's JSON."""
    if data.keys() <= known:
        return "{}"
    return json_value({key: value for key, value in data.items() if key not in known})


_TURN_FIELD_SET = frozenset(TURN_FIELDS)
_TURN_LABEL_FIELD_SET = frozenset(TURN_LABEL_FIELDS)
_GOLD = LabelStatus.GOLD.value
_IMPORT = LabelSource.IMPORT.value
_GOAL_SEGMENTS = LabelKind.GOAL_SEGMENTS.value
_GOAL_SUCCESS = LabelKind.GOAL_SUCCESS.value
