"""People have habits: a few recurring requests in their own words, and some a name that is misheard."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from simulator.config import SimConfig
from simulator.dialogues import Simulator


def _habit_goals(
    dialogues: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(dialogue, goal label, goal truth) of every request goal."""
    found = []
    for d in dialogues:
        for goal, truth in zip(d["labels"]["goals"], d["metadata"]["truth"]["goals"], strict=True):
            if "habit" in truth:
                found.append((d, goal, truth))
    return found


def test_people_make_their_recurring_requests_at_the_configured_rate(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    dialogues, sim = generated
    free = [
        truth["habit"] is not None
        for d, _, truth in _habit_goals(dialogues)
        if d["metadata"]["scenario"] == "free" and sim.habits.people[d["user_id"]].habits
    ]
    share = sum(free) / len(free)
    tolerance = 4 * math.sqrt(sim.config.habit_rate * (1 - sim.config.habit_rate) / len(free))
    assert abs(share - sim.config.habit_rate) <= tolerance, share
    per_person = Counter(
        d["user_id"] for d, _, truth in _habit_goals(dialogues) if truth["habit"] is not None
    )
    assert len(per_person) > 0.9 * sim.config.users


def test_a_recurring_request_keeps_its_values_and_mostly_its_words(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    dialogues, sim = generated
    said: defaultdict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    values: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
    for d, goal, truth in _habit_goals(dialogues):
        if truth["habit"] is None:
            continue
        key = (d["user_id"], truth["habit"])
        first = goal["turns"][0]
        said[key][d["metadata"]["truth"]["intended_utterances"][first]] += 1
        values[key].add(repr(sorted(truth["slots"].items())) + repr(truth["implicit"]))
    assert all(len(seen) == 1 for seen in values.values())
    repeated = [counts for counts in said.values() if sum(counts.values()) >= 5]
    usual = sum(counts.most_common(1)[0][1] for counts in repeated) / sum(sum(c.values()) for c in repeated)
    assert usual >= sim.config.preferred_wording_rate - 0.05, usual


def test_a_person_s_accent_is_misheard_their_usual_way(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    dialogues, sim = generated
    accented = {user: person.accent for user, person in sim.habits.people.items() if person.accent}
    assert len(accented) >= 0.1 * sim.config.users
    misheard = 0
    for d in dialogues:
        accent = accented.get(d["user_id"])
        if accent is None:
            continue
        truth = d["metadata"]["truth"]
        for turn in d["turns"]:
            meant = truth["intended_utterances"].get(turn["id"], "").split()
            heard = turn["utterance"].split()
            if accent.word in meant and _count(heard, accent.heard) > _count(meant, accent.heard):
                assert d["labels"]["turns"][turn["id"]]["failure_point"] == "asr"
                assert truth["asr_errors"][turn["id"]] == "error"
                misheard += 1
    # The recogniser's own random confusions now and then hit the same word the same way too.
    assert 50 < sim.stage_counts["accent_error"] <= misheard <= 1.1 * sim.stage_counts["accent_error"]


def _count(words: list[str], run: tuple[str, ...]) -> int:
    return sum(tuple(words[i : i + len(run)]) == run for i in range(len(words)))


def test_without_habits_nobody_repeats_on_purpose() -> None:
    sim = Simulator(SimConfig(dialogues=200, users=10, seed=5, habits_per_person=0))
    dialogues = list(sim)
    assert all(truth.get("habit") is None for d in dialogues for truth in d["metadata"]["truth"]["goals"])
    assert sim.stage_counts["accent_reached"] == 0
