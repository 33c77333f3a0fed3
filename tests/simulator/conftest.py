from __future__ import annotations

from typing import Any

import pytest

from simulator.config import SimConfig
from simulator.dialogues import Simulator
from simulator.judge import Judge


@pytest.fixture(scope="session")
def generated() -> tuple[list[dict[str, Any]], Simulator]:
    """Three thousand failure-heavy dialogues (every failure point often), shared by the tests that
    only read them; the realistic defaults have a test of their own (test_rates.py)."""
    sim = Simulator(SimConfig.profile("failure_heavy", dialogues=3000, users=60, seed=11))
    return list(sim), sim


@pytest.fixture(scope="session")
def dialogues(generated: tuple[list[dict[str, Any]], Simulator]) -> list[dict[str, Any]]:
    return generated[0]


@pytest.fixture(scope="session")
def judge(generated: tuple[list[dict[str, Any]], Simulator]) -> Judge:
    """The replay's judge over the same pools the dialogues were generated from."""
    sim = generated[1]
    return Judge(sim.pools, sim.asr, sim.nlu, sim.catalogues)


def turns_with(
    dialogues: list[dict[str, Any]], failure_point: str
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(dialogue, turn, label) for every turn labelled with this failure point."""
    out = []
    for d in dialogues:
        labels = d["labels"]["turns"]
        for turn in d["turns"]:
            if labels[turn["id"]]["failure_point"] == failure_point:
                out.append((d, turn, labels[turn["id"]]))
    return out
