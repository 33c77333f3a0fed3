"""The trivial baselines: what always saying the same thing scores on the same gold."""

from __future__ import annotations

import pytest

from models_app.ml.baselines import trivial_baselines
from models_app.ml.data import NOT_A_REPHRASE, DialogueExample, StatedPreference, TurnInput, TurnTargets


def test_each_baseline_is_scored_on_the_gold_with_the_models_own_metrics() -> None:
    # Ten turns, one a defect; four goals, three achieved; two restate the turn before; one of two
    # marked turns states a preference.
    turns = [TurnInput(f"turn {n}") for n in range(10)]
    targets = [
        TurnTargets(defect=n == 3, failure_point="asr" if n == 3 else "none", rephrase_of=NOT_A_REPHRASE)
        for n in range(10)
    ]
    targets[4].rephrase_of, targets[7].rephrase_of = 3, 6
    targets[0].preferences = [StatedPreference("movies", "movie", "Thor", "like")]
    targets[1].preferences = []
    example = DialogueExample(
        turns=turns,
        targets=targets,
        goals=[[0, 1, 2], [3, 4], [5, 6, 7], [8, 9]],
        goal_success=[True, True, False, True],
    )

    baselines = trivial_baselines([example])

    assert baselines["goal_success_accuracy"] == {"always_success": 0.75}
    assert baselines["defect_f1"]["always_defect"] == pytest.approx(2 * 0.1 / 1.1)
    assert baselines["failure_point_accuracy"] == {"always_none": 0.9}
    # Nine turns have an earlier one: two of nine are right.
    assert baselines["rephrase_f1"]["always_previous_turn"] == pytest.approx(2 * 2 / (9 + 2))
    # Every turn of a dialogue that marks statements is counted: one of ten states one.
    assert baselines["preference_statement_f1"]["always_states_a_preference"] == pytest.approx(2 / 11)


def test_only_the_metrics_the_gold_supports_get_a_baseline() -> None:
    example = DialogueExample(turns=[TurnInput("play jazz")], targets=[TurnTargets(intent="play_music")])
    assert trivial_baselines([example]) == {}
