from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.config import ConfigError, SimConfig


def test_config_loads_from_json_and_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"asr_error_rate": 0.5, "users": 3}), encoding="utf-8")
    config = SimConfig.from_json(path)
    assert config.asr_error_rate == 0.5 and config.users == 3
    assert config.nlu_error_rate == SimConfig().nlu_error_rate


def test_config_rejects_unknown_fields_and_rates_outside_zero_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown config fields: asr_rate"):
        SimConfig.from_dict({"asr_rate": 0.1})
    with pytest.raises(ConfigError, match="nlu_error_rate"):
        SimConfig.from_dict({"nlu_error_rate": 1.5})


def test_cli_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--dialogues", "0", "--out", "x.jsonl"],
        ["--dialogues", "ten", "--out", "x.jsonl"],
        ["--dialogues", "5"],
        ["--out", str(tmp_path)],
        ["--out", "x.jsonl", "--data-dir", str(tmp_path / "missing")],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_config_file_is_used(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"asr_error_rate": 0.0, "false_wake_rate": 0.0}), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["--dialogues", "100", "--config", str(config), "--out", str(out)]) == 0
    for line in out.read_text(encoding="utf-8").splitlines():
        points = {lab["failure_point"] for lab in json.loads(line)["labels"]["turns"].values()}
        assert not points & {"asr", "false_wake"}


def test_stats_flag_prints_the_distribution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dialogues", "40", "--out", str(tmp_path / "o.jsonl"), "--stats"]) == 0
    err = capsys.readouterr().err
    stats = json.loads(err[: err.rindex("}") + 1])
    assert stats["dialogues"] == 40 and "failure_points" in stats and "observed_stage_rates" in stats
