from __future__ import annotations

import math
from typing import Any

from simulator.config import SimConfig
from simulator.dialogues import Simulator
from simulator.stats import FAILURE_POINTS, describe


def within(observed: float, expected: float, n: int, sigmas: float = 4.0) -> bool:
    """Binomial tolerance: `sigmas` standard errors, at least one percentage point."""
    return abs(observed - expected) <= max(0.01, sigmas * math.sqrt(expected * (1 - expected) / max(n, 1)))


def test_observed_stage_rates_match_configured_ones(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    _, sim = generated
    config, c = sim.config, sim.stage_counts
    checks = [
        ((c["asr_error"] + c["asr_slip"]) / c["asr_reached"], config.asr_error_rate, c["asr_reached"]),
        (
            c["asr_slip"] / (c["asr_error"] + c["asr_slip"]),
            config.asr_recover_rate,
            c["asr_error"] + c["asr_slip"],
        ),
        (c["nlu_error"] / c["nlu_reached"], config.nlu_error_rate, c["nlu_reached"]),
        (c["entity_error"] / c["entity_reached"], config.entity_error_rate, c["entity_reached"]),
        (
            c["result_error"] / (c["result_reached"] - c["unfulfillable"]),
            config.result_error_rate,
            c["result_reached"] - c["unfulfillable"],
        ),
        (c["unfulfillable"] / c["result_reached"], config.unfulfillable_rate, c["result_reached"]),
    ]
    for observed, expected, n in checks:
        assert within(observed, expected, n), (observed, expected, n)


def test_observed_failure_points_follow_the_stage_counts(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    dialogues, sim = generated
    stats = describe(dialogues, sim.stage_counts)
    c = sim.stage_counts
    assert stats["failure_points"]["asr"] == c["asr_error"]
    assert stats["failure_points"]["nlu"] == c["nlu_error"]
    assert stats["failure_points"]["entity"] == c["entity_error"] + c["entity_error_specific"]
    assert stats["failure_points"]["result"] == c["result_error"]
    goals = stats["goals_per_dialogue"] * stats["dialogues"]
    assert within(stats["failure_points"]["false_wake"] / goals, sim.config.false_wake_rate, int(goals))


def test_a_default_run_has_a_realistic_spread(dialogues: list[dict[str, Any]]) -> None:
    stats = describe(dialogues)
    assert 0.55 <= stats["request_turn_success_rate"] <= 0.65
    assert all(stats["failure_points"][p] > 50 for p in FAILURE_POINTS)
    assert stats["failures_restated_rate"] > 0.6  # rephrases or repeats after most failures
    assert stats["goals_per_dialogue_histogram"].get("1", 0) < stats["dialogues"]  # several goals, sometimes
    assert stats["teaching_turns"] > 0


def test_rates_follow_a_changed_config() -> None:
    config = SimConfig(
        dialogues=1500, users=20, seed=4, asr_error_rate=0.0, nlu_error_rate=0.4, false_wake_rate=0.0
    )
    stats = describe(Simulator(config))
    assert stats["failure_points"]["asr"] == 0
    assert stats["failure_points"]["false_wake"] == 0
    assert stats["failure_points"]["nlu"] > stats["failure_points"]["entity"]
