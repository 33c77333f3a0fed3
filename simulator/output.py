"""Writing dialogues as JSON Lines, plain or gzip, byte-identical for the same input."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

# One encoder for the whole run: json.dumps with non-default arguments builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(dialogue: dict[str, Any]) -> str:
    return _ENCODER.encode(dialogue)


def open_output(target: str) -> IO[bytes]:
    """A binary stream for `target`: "-" is stdout; ".gz" gets a gzip header with no name and no time,
    so the same dialogues always give the same bytes."""
    if target == "-":
        return sys.stdout.buffer
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = open(path, "wb")  # noqa: SIM115 - closed by the caller through the returned stream
    if path.name.endswith(".gz"):
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)  # type: ignore[return-value]
    return raw


def write_jsonl(dialogues: Iterable[dict[str, Any]], target: str, chunk: int = 256) -> int:
    """Write one dialogue per line; returns how many were written.

    Only "-" touches standard output: a Celery worker replaces ``sys.stdout`` with a logging proxy
    that has no ``buffer``, and a job that writes to a file must not care."""
    to_stdout = target == "-"
    stream = open_output(target)
    count = 0
    batch: list[str] = []
    try:
        for dialogue in dialogues:
            batch.append(_ENCODER.encode(dialogue))
            count += 1
            if len(batch) >= chunk:
                stream.write(("\n".join(batch) + "\n").encode("utf-8"))
                batch.clear()
        if batch:
            stream.write(("\n".join(batch) + "\n").encode("utf-8"))
    finally:
        if to_stdout:
            stream.flush()
        else:
            fileobj = getattr(stream, "fileobj", None)
            stream.close()
            if isinstance(fileobj, io.IOBase):
                fileobj.close()
    return count
