"""Writing simulated dialogues to a file or to standard output."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from simulator.output import write_jsonl

DIALOGUES = [{"id": "d1", "turns": []}, {"id": "d2", "turns": []}]


def test_writing_a_file_never_touches_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Celery worker swaps sys.stdout for a logging proxy with no `buffer`, as a StringIO has none.
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    for name in ("plain.jsonl", "packed.jsonl.gz"):
        assert write_jsonl(DIALOGUES, str(tmp_path / name)) == 2
    assert (tmp_path / "plain.jsonl").read_text().splitlines() == [
        '{"id":"d1","turns":[]}',
        '{"id":"d2","turns":[]}',
    ]
    assert (
        gzip.decompress((tmp_path / "packed.jsonl.gz").read_bytes())
        == (tmp_path / "plain.jsonl").read_bytes()
    )


def test_a_dash_writes_to_standard_output(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert write_jsonl(DIALOGUES, "-") == 2
    assert capsysbinary.readouterr().out.count(b"\n") == 2
