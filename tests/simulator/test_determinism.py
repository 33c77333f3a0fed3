from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_gives_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["--dialogues", "150", "--users", "12", "--seed", "3", "--out", str(a)]) == 0
    assert main(["--dialogues", "150", "--users", "12", "--seed", "3", "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_text(encoding="utf-8").splitlines()) == 150


def test_same_seed_gives_same_gzip_bytes(tmp_path: Path) -> None:
    a, b, plain = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz", tmp_path / "c.jsonl"
    for path in (a, b, plain):
        assert main(["--dialogues", "80", "--seed", "3", "--out", str(path)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert gzip.decompress(a.read_bytes()) == plain.read_bytes()


def test_different_seeds_give_different_dialogues(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    main(["--dialogues", "50", "--seed", "1", "--out", str(a)])
    main(["--dialogues", "50", "--seed", "2", "--out", str(b)])
    assert a.read_bytes() != b.read_bytes()


def test_output_does_not_depend_on_the_hash_seed() -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run(
            [sys.executable, "-m", "simulator", "--dialogues", "60", "--seed", "5", "--out", "-"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") == 60
