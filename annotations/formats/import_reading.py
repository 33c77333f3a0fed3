"""Reading an import's file: the source, the limits it is read within, and its lines a block at a time
(decompressed as it goes, blank lines skipped at C speed, a cancel looked for between blocks), each
parsed into a ``Line``; ``annotations.formats.importing`` runs the two passes over them."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec
from django.conf import settings

from annotations.formats.dialogue_format import parse_json_line, validate_dialogue
from selflearn_site.exceptions import ApplicationError
from selflearn_site.json_limits import json_too_deep

# How many bad lines an error message lists; the count of all of them is given too.
MAX_LISTED_ERRORS = 100


@dataclass(frozen=True)
class ImportSource:
    """A named file to import; ``open`` gives a fresh binary stream each time it is called."""

    name: str
    open: Callable[[], contextlib.AbstractContextManager[IO[bytes]]]

    @classmethod
    def from_path(cls, path: Path) -> ImportSource:
        return cls(name=str(path), open=lambda: path.open("rb"))


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


@dataclass
class Line:
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
BLANK_LINES = re.compile(rb"(?:[ \t\r\f\v]*+\n)*+")


def read_lines(
    source: ImportSource,
    on_bytes: Callable[[int, int], None] | None = None,
    *,
    validate: bool = True,
    limits: ImportLimits,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Line]:
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
                        blank = BLANK_LINES.match(block, start)
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
                        yield Line(
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


def _parse_line(name: str, number: int, raw: bytes, *, validate: bool, limits: ImportLimits) -> Line:
    line = Line(number=number, raw=raw)
    data = _decoded_fast(raw, limits)
    if data is _NOT_DECODED and not _decode_exactly(line, name, limits):
        return line
    if data is not _NOT_DECODED:
        line.data = data
    too_large = _beyond_limits(line.data, limits)
    if too_large:
        line.errors.extend(f"{name}:{number}: {problem}" for problem in too_large)
        return line
    if validate:
        line.errors.extend(f"{name}:{number}: {problem}" for problem in validate_dialogue(line.data))
    return line


# msgspec's decoder parses a line in about 40% of ``json.loads``' time, straight from the bytes, and
# keeps integers of any size exact (orjson turns those beyond 64 bits into floats). It refuses what
# the format refuses (NaN, Infinity, numbers beyond a double's range, bad UTF-8, a byte-order mark);
# whatever it refuses, and the little it cannot read (a lone surrogate escape), goes through
# ``_decode_exactly``, which gives every refusal its message as before.
_FAST_DECODER = msgspec.json.Decoder()
_NOT_DECODED = object()


def _decoded_fast(raw: bytes, limits: ImportLimits) -> Any:
    """The parsed line, or ``_NOT_DECODED`` when the line needs the careful path."""
    if json_too_deep(raw, limits.depth):
        return _NOT_DECODED
    try:
        return _FAST_DECODER.decode(raw)
    except (msgspec.MsgspecError, ValueError):  # a UnicodeDecodeError is a ValueError
        return _NOT_DECODED


def _decode_exactly(line: Line, name: str, limits: ImportLimits) -> bool:
    """Parse ``line`` with the standard library, or give the reason it cannot be (False)."""
    where = f"{name}:{line.number}"
    try:
        text = line.raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = line.raw[error.start]
        line.errors.append(f"{where}: encoding: not UTF-8 (byte 0x{bad:02x} at byte {error.start + 1})")
        return False
    if text.startswith("\ufeff"):
        line.errors.append(f"{where}: encoding: a byte-order mark, which the format does not allow")
        return False
    if json_too_deep(line.raw, limits.depth):
        line.errors.append(f"{where}: json: nested more than the limit of {limits.depth} levels")
        return False
    try:
        line.data = parse_json_line(text)
    except json.JSONDecodeError as error:
        line.errors.append(f"{where}: json: not valid JSON: {error.msg} at column {error.colno}")
        return False
    except (ValueError, RecursionError) as error:
        line.errors.append(f"{where}: json: not valid JSON: {error}")
        return False
    return True


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
