"""The trivial baselines every figure stands beside: what a labeller that always says the same thing
scores on the same gold, with the same metrics (``metrics.evaluate``).

A label whose figure falls under its baseline has learnt nothing worth reviewing: on real logs most
turns are fine and most goals succeed, so "always success" is a strong opponent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models_app.ml.data import (
    NO_INTENT,
    NOT_A_REPHRASE,
    DialogueExample,
    DialoguePrediction,
    Predicted,
    StatedPreference,
    TurnPrediction,
)
from models_app.ml.metrics import evaluate


def _constant(
    example: DialogueExample,
    *,
    failure_point: str = "none",
    defect: bool = False,
    success: bool = True,
    rephrase_previous: bool = False,
    states: bool = False,
) -> DialoguePrediction:
    """One prediction that says the same of every turn and goal (goals as the gold cuts them, so that
    goal success is scored on every goal)."""
    turns = [
        TurnPrediction(
            intent=Predicted(NO_INTENT, 1.0),
            slots=Predicted([], 1.0),
            failure_point=Predicted(failure_point, 1.0),
            rephrase_of=Predicted(position - 1 if rephrase_previous and position else NOT_A_REPHRASE, 1.0),
            defect=Predicted(defect, 1.0),
            preferences=Predicted(
                [StatedPreference("-", "-", turn.utterance, "like")] if states else [], 1.0
            ),
        )
        for position, turn in enumerate(example.turns)
    ]
    goals = [list(goal) for goal in example.goals or []]
    return DialoguePrediction(
        key=example.key,
        turns=turns,
        goals=Predicted(goals, 1.0),
        goal_success=[Predicted(success, 1.0) for _ in goals],
    )


# (baseline name, what it always says, the metric it is measured by)
BASELINES: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("always_success", {"success": True}, "goal_success_accuracy"),
    ("always_defect", {"defect": True}, "defect_f1"),
    ("always_none", {"failure_point": "none"}, "failure_point_accuracy"),
    ("always_none", {"failure_point": "none"}, "failure_point_macro_f1"),
    ("always_previous_turn", {"rephrase_previous": True}, "rephrase_f1"),
    ("always_states_a_preference", {"states": True}, "preference_statement_f1"),
)


def trivial_baselines(examples: Sequence[DialogueExample]) -> dict[str, dict[str, float]]:
    """Per metric, what its trivial baseline scores on these examples' gold: ``{metric: {baseline:
    score}}``, for the metrics the gold supports."""
    out: dict[str, dict[str, float]] = {}
    scored: dict[str, dict[str, Any]] = {}
    for name, says, metric in BASELINES:
        if name not in scored:
            scored[name] = evaluate(examples, [_constant(example, **says) for example in examples])
        if metric in scored[name]:
            out[metric] = {name: float(scored[name][metric])}
    return out
