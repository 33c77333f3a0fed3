"""Replaying rewrites through the assistant that logged the requests (simulated logs carry it)."""

from __future__ import annotations

from typing import Any

import pytest

from rewrites.engine.chains import normalise
from rewrites.engine.logs import logged_attempts
from rewrites.engine.replay import Tally, TruthWatch, has_truth, pair_tallies, verdicts
from simulator.config import SimConfig
from simulator.dialogues import Simulator
from simulator.judge import Judge


@pytest.fixture(scope="module")
def simulated() -> tuple[list[dict[str, Any]], Judge]:
    sim = Simulator(SimConfig.profile("failure_heavy", dialogues=400, users=20, seed=3))
    return list(sim), Judge(sim.pools, sim.asr, sim.nlu, sim.catalogues)


def test_a_tally_counts_wins_losses_and_the_defects_they_leave() -> None:
    tally = Tally()
    tally.add(failed=True, rewritten=True, served=True)  # a win
    tally.add(failed=True, rewritten=True, served=False)  # still a defect, not a loss
    tally.add(failed=False, rewritten=True, served=False)  # a loss
    tally.add(failed=False, rewritten=True, served=True)  # another wording that works: neither
    tally.add(failed=True, rewritten=False, served=False)
    assert tally.figures() == {
        "attempts": 5,
        "wins": 1,
        "losses": 1,
        "win_loss": 1.0,
        "coverage": 0.8,
        "defect_rate_before": 0.6,
        "defect_rate_after": 0.6,
        "defects_cut": 0.0,
    }
    assert Tally().figures()["win_loss"] is None


def test_only_logs_with_the_assistant_s_truth_are_replayed(simulated) -> None:
    dialogues, _ = simulated
    assert has_truth(dialogues[0])
    real = {"id": "r1", "turns": [], "metadata": {"truth": {"goals": []}}}
    assert not has_truth(real)
    watch = TruthWatch([real])
    assert list(watch) == [real] and not watch.seen
    watch = TruthWatch([real, dialogues[0]])
    assert len(list(watch)) == 2 and watch.seen


def test_a_pair_into_the_words_that_served_wins_and_a_pair_away_from_them_loses(simulated) -> None:
    dialogues, judge = simulated
    fixes: dict[str, str] = {}
    breaks: dict[str, str] = {}
    for dialogue in dialogues:
        for attempt in logged_attempts([dialogue]).attempts:
            if attempt.failed and attempt.failure_point == "nlu" and attempt.served_by:
                fixes.setdefault(attempt.utterance, attempt.served_by)
            elif not attempt.failed and attempt.failure_point == "none":
                breaks.setdefault(attempt.utterance, "what is the weather on mars")
    won = pair_tallies(dialogues, fixes, judge)
    lost = pair_tallies(dialogues, breaks, judge)
    assert sum(t.wins for t in won.values()) > 10 and sum(t.losses for t in won.values()) == 0
    assert sum(t.losses for t in lost.values()) == sum(t.attempts - t.defects for t in lost.values()) > 50
    assert pair_tallies([{"id": "real", "turns": []}], fixes, judge) == {}


def test_verdicts_ask_about_the_words_wanted_for_each_request(simulated) -> None:
    dialogues, judge = simulated
    dialogue = dialogues[0]
    turn = dialogue["labels"]["goals"][0]["turns"][0]
    said = normalise(dialogue["turns"][int(turn[1:]) - 1]["utterance"])
    found = verdicts(dialogues, {(dialogue["id"], turn): [said, "nothing of the sort"]}, judge)
    served = not dialogue["labels"]["turns"][turn]["defect"]
    failure = dialogue["labels"]["turns"][turn]["failure_point"]
    assert found[(dialogue["id"], turn, "nothing of the sort")] is False
    if failure != "asr":
        assert found[(dialogue["id"], turn, said)] is served
