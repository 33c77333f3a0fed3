"""The distribution of what was generated: failure points, rephrases, goals, defects, stage rates.

Works on any FORMAT.md dialogues with labels, so it also describes files written earlier; the stage
rates (conditional on a turn reaching each stage) come from the generator's own counters when given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FAILURE_POINTS = ("none", "false_wake", "asr", "nlu", "entity", "result")
NON_REQUEST_PREFIXES = (
    "general_affirm",
    "general_confirm",
    "general_dontcare",
    "general_negate",
    "general_praise",
    "general_repeat",
    "general_commandstop",
    "general_explain",
    "preference_",
)


class Stats:
    """Accumulates counts dialogue by dialogue, so a stream of any length is described in O(1) memory."""

    def __init__(self) -> None:
        self.dialogues = 0
        self.turns = 0
        self.goals = 0
        self.goals_succeeded = 0
        self.goals_per_dialogue: dict[int, int] = {}
        self.failure_points: dict[str, int] = dict.fromkeys(FAILURE_POINTS, 0)
        self.request_turns = 0
        self.request_turns_ok = 0
        self.rephrases = 0
        self.failures = 0
        self.failures_restated = 0
        self.defects = 0
        self.teaching_turns = 0
        self.barge_ins = 0
        self.negative_feedback = 0

    def add(self, dialogue: dict[str, Any]) -> None:
        labels = dialogue.get("labels", {})
        turn_labels: dict[str, dict[str, Any]] = labels.get("turns", {})
        goals = labels.get("goals", [])
        self.dialogues += 1
        self.turns += len(dialogue["turns"])
        self.goals += len(goals)
        self.goals_succeeded += sum(1 for g in goals if g.get("success"))
        self.goals_per_dialogue[len(goals)] = self.goals_per_dialogue.get(len(goals), 0) + 1
        restated = {lab.get("rephrase_of") for lab in turn_labels.values()}
        for turn in dialogue["turns"]:
            if turn.get("barge_in"):
                self.barge_ins += 1
            if turn.get("feedback") == "negative":
                self.negative_feedback += 1
        for tid, lab in turn_labels.items():
            point = lab.get("failure_point", "none")
            self.failure_points[point] = self.failure_points.get(point, 0) + 1
            intent = lab.get("intent") or ""
            if lab.get("rephrase_of"):
                self.rephrases += 1
            if lab.get("defect"):
                self.defects += 1
            if intent.startswith("preference_"):
                self.teaching_turns += 1
            if intent and not intent.startswith(NON_REQUEST_PREFIXES):
                self.request_turns += 1
                self.request_turns_ok += point == "none"
            if point not in ("none", "false_wake"):
                self.failures += 1
                self.failures_restated += tid in restated

    def summary(self, stage_counts: dict[str, int] | None = None) -> dict[str, Any]:
        def share(a: float, b: float) -> float:
            return round(a / b, 4) if b else 0.0

        total = sum(self.failure_points.values())
        out: dict[str, Any] = {
            "dialogues": self.dialogues,
            "turns": self.turns,
            "turns_per_dialogue": share(self.turns, self.dialogues),
            "goals_per_dialogue": share(self.goals, self.dialogues),
            "goals_per_dialogue_histogram": {str(k): v for k, v in sorted(self.goals_per_dialogue.items())},
            "goal_success_rate": share(self.goals_succeeded, self.goals),
            "failure_points": dict(self.failure_points),
            "failure_point_shares": {k: share(v, total) for k, v in self.failure_points.items()},
            "request_turns": self.request_turns,
            "request_turn_success_rate": share(self.request_turns_ok, self.request_turns),
            "rephrase_rate": share(self.rephrases, self.turns),
            "failures_restated_rate": share(self.failures_restated, self.failures),
            "defect_rate": share(self.defects, self.turns),
            "teaching_turns": self.teaching_turns,
            "barge_in_rate": share(self.barge_ins, self.turns),
            "negative_feedback_rate": share(self.negative_feedback, self.turns),
        }
        if stage_counts is not None:
            c = stage_counts
            out["observed_stage_rates"] = {
                "false_wake_per_goal": share(self.failure_points.get("false_wake", 0), self.goals),
                "asr_error_rate": share(c["asr_error"] + c["asr_slip"], c["asr_reached"]),
                "asr_recover_rate": share(c["asr_slip"], c["asr_error"] + c["asr_slip"]),
                "nlu_error_rate": share(c["nlu_error"], c["nlu_reached"]),
                "entity_error_rate": share(c["entity_error"], c["entity_reached"]),
                "entity_error_rate_specific": share(c["entity_error_specific"], c["entity_reached_specific"]),
                "result_error_rate": share(c["result_error"], c["result_reached"] - c["unfulfillable"]),
                "unfulfillable_rate": share(c["unfulfillable"], c["result_reached"]),
            }
        return out


def describe(
    dialogues: Iterable[dict[str, Any]], stage_counts: dict[str, int] | None = None
) -> dict[str, Any]:
    stats = Stats()
    for dialogue in dialogues:
        stats.add(dialogue)
    return stats.summary(stage_counts)
