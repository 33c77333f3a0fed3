from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from simulator.config import SimConfig
from simulator.dialogues import Simulator
from simulator.judge import Judge, logged_requests
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
        (c["accent_error"] / c["accent_reached"], config.accent_mishearing_rate, c["accent_reached"]),
        (
            c["result_error"] / (c["result_reached"] - c["unfulfillable"]),
            config.result_error_rate,
            c["result_reached"] - c["unfulfillable"],
        ),
        (c["unfulfillable"] / c["result_reached"], config.unfulfillable_rate, c["result_reached"]),
    ]
    for observed, expected, n in checks:
        assert within(observed, expected, n), (observed, expected, n)


def _readings(
    dialogues: list[dict[str, Any]], judge: Judge
) -> tuple[dict[Any, set[bool]], dict[Any, set[bool]]]:
    """Every carrier the NLU read, and every (person, entity, named without doubt) the resolver
    resolved, with whether it went wrong, from the log's own failure points."""
    carriers: dict[Any, set[bool]] = defaultdict(set)
    entities: dict[Any, set[bool]] = defaultdict(set)
    for d in dialogues:
        labels = d["labels"]["turns"]
        misheard = d["metadata"]["truth"]["asr_errors"]
        for turn_id, request in logged_requests(d).items():
            point = labels[turn_id]["failure_point"]
            if not request.through_pipeline or misheard.get(turn_id) == "error":
                continue
            verdict = judge.serves(request, request.said)
            carriers[(request.intent, verdict.carrier)].add(point == "nlu")
            if point != "nlu" and verdict.entity is not None:
                entities[(request.user, *verdict.entity)].add(point == "entity")
    return carriers, entities


def test_the_assistant_misreads_the_configured_share_of_carriers_every_time(
    generated: tuple[list[dict[str, Any]], Simulator], judge: Judge
) -> None:
    """NLU reads by the words: each carrier is read the same way every time, and the share misread,
    counted once per carrier (turns repeat carriers, so a per-turn rate would not be binomial), is
    the configured one."""
    dialogues, sim = generated
    carriers, _ = _readings(dialogues, judge)
    # Read the same way every time; the few exceptions are words that parse two ways (test_judge.py).
    assert sum(len(outcomes) > 1 for outcomes in carriers.values()) <= 0.005 * len(carriers)
    misread = sum(True in outcomes for outcomes in carriers.values())
    assert within(misread / len(carriers), sim.config.nlu_error_rate, len(carriers)), (misread, len(carriers))


def test_the_resolver_gets_a_person_s_entity_wrong_at_the_configured_rate_every_time(
    generated: tuple[list[dict[str, Any]], Simulator], judge: Judge
) -> None:
    dialogues, sim = generated
    _, entities = _readings(dialogues, judge)
    assert sum(len(outcomes) > 1 for outcomes in entities.values()) <= 0.005 * len(entities)
    config = sim.config
    for specific, rate in (
        (False, config.entity_error_rate),
        (True, config.entity_error_rate * config.specific_entity_factor),
    ):
        pairs = [outcomes for (_, _, doubtless), outcomes in entities.items() if doubtless is specific]
        wrong = sum(True in outcomes for outcomes in pairs)
        assert within(wrong / len(pairs), rate, len(pairs)), (specific, wrong, len(pairs))


def test_observed_failure_points_follow_the_stage_counts(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    dialogues, sim = generated
    stats = describe(dialogues, sim.stage_counts)
    c = sim.stage_counts
    assert stats["failure_points"]["asr"] == c["asr_error"] + c["accent_error"]
    assert stats["failure_points"]["nlu"] == c["nlu_error"]
    assert stats["failure_points"]["entity"] == c["entity_error"] + c["entity_error_specific"]
    assert stats["failure_points"]["result"] == c["result_error"]
    goals = stats["goals_per_dialogue"] * stats["dialogues"]
    assert within(stats["failure_points"]["false_wake"] / goals, sim.config.false_wake_rate, int(goals))


def test_a_default_run_fails_about_as_often_as_people_meet_failures() -> None:
    stats = describe(Simulator(SimConfig(dialogues=1500, users=30, seed=12)))
    assert 0.78 <= stats["request_turn_success_rate"] <= 0.88  # about one request in six to eight fails
    assert 0.10 <= stats["defect_rate"] <= 0.20
    assert stats["goal_success_rate"] >= 0.9
    assert all(stats["failure_points"][p] > 30 for p in FAILURE_POINTS)  # every one, if rarely


def test_a_failure_heavy_run_has_every_failure_point_often(dialogues: list[dict[str, Any]]) -> None:
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
