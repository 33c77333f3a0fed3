"""Every line follows FORMAT.md."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.cli import main
from simulator.output import encode
from simulator.stats import FAILURE_POINTS

DATA = Path(__file__).resolve().parents[2] / "simulator" / "data"


def check_dialogue(d: dict[str, Any]) -> None:
    assert 1 <= len(d["id"]) <= 200
    turns = d["turns"]
    assert turns
    ids = [t["id"] for t in turns]
    assert ids == [f"t{i + 1}" for i in range(len(turns))]
    position = {tid: i for i, tid in enumerate(ids)}
    stamps = [datetime.fromisoformat(t["timestamp"]) for t in turns]
    assert stamps == sorted(stamps)
    assert d["started_at"] == turns[0]["timestamp"]
    for turn in turns:
        assert isinstance(turn["utterance"], str)
        assert 0 <= turn["asr_confidence"] <= 1 and 0 <= turn["nlu_confidence"] <= 1
        check_spans(turn["utterance"], turn["slots"])
    labels = d["labels"]
    assert set(labels["turns"]) == set(ids)
    last = -1
    in_goal: set[str] = set()
    for goal in labels["goals"]:
        pos = [position[t] for t in goal["turns"]]
        assert pos == list(range(pos[0], pos[0] + len(pos)))  # consecutive
        assert pos[0] > last  # in order, not overlapping
        last = pos[-1]
        assert isinstance(goal["success"], bool)
        in_goal.update(goal["turns"])
    for turn in turns:
        label = labels["turns"][turn["id"]]
        assert label["failure_point"] in FAILURE_POINTS
        assert isinstance(label["defect"], bool)
        if label["rephrase_of"] is not None:
            assert position[label["rephrase_of"]] < position[turn["id"]]
        check_spans(turn["utterance"], label["slots"])
        if label["intent"] is None:
            assert label["failure_point"] == "false_wake" and turn["id"] not in in_goal
        else:
            assert turn["id"] in in_goal


def check_spans(utterance: str, spans: list[dict[str, Any]]) -> None:
    end = 0
    for span in spans:
        assert end <= span["start"] < span["end"] <= len(utterance)
        assert utterance[span["start"] : span["end"]].strip() == utterance[span["start"] : span["end"]]
        assert isinstance(span["type"], str) and isinstance(span["value"], str)
        end = span["end"]


def test_every_label_is_valid_per_format(dialogues: list[dict[str, Any]]) -> None:
    for d in dialogues:
        check_dialogue(d)
        assert json.loads(encode(d)) == d


def test_dialogue_ids_are_unique(dialogues: list[dict[str, Any]]) -> None:
    assert len({d["id"] for d in dialogues}) == len(dialogues)


def test_works_with_the_bundled_data_only(tmp_path: Path) -> None:
    out = tmp_path / "bundled.jsonl"
    assert main(["--dialogues", "300", "--data-dir", str(DATA), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    sources = set()
    for line in lines:
        d = json.loads(line)
        check_dialogue(d)
        sources.update(lab["intent"] for lab in d["labels"]["turns"].values())
    assert {"play_music", "weather_query", "books_rate"} & sources  # SNIPS's, in the one vocabulary
    assert any(i and "_" in i and not i.startswith(("preference_", "sports_")) for i in sources)


def test_bundled_data_is_small_and_attributed() -> None:
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert size < 1_000_000
    attribution = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for name in ("SNIPS", "HWU64", "SLURP", "CC0", "CC BY 4.0"):
        assert name in attribution
    assert not (DATA / "sgd").exists()  # CC BY-SA: not shipped
