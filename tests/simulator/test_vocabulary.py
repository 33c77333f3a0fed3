"""One vocabulary per simulated log: every corpus's intents and slot types under one name each
(SNIPS's `GetWeather` is `weather_query`, its `city` is `place_name`), and no line a person would
not say (a crowd worker's template left in, a line cut off mid-phrase) in the demo's dialogues."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from simulator.config import SimConfig
from simulator.corpora import SNIPS_INTENTS, SNIPS_SLOT_TYPES, load_all, load_snips
from simulator.dialogues import Simulator, default_data_dir
from simulator.pools import Pools, leftover

BUNDLED = Path(__file__).resolve().parents[2] / "simulator" / "data"
# HWU64's naming: lower case, scenario_action.
ONE_NAMING = re.compile(r"^[a-z]+(_[a-z]+)+$")
# What a template leftover looks like in a line (the tests' own reading, apart from the generator's).
LEFTOVER = re.compile(
    r"\b(generic|sample|placeholder|xyz|blah|such and such|so and so)\b|\w_\w|\b(if|the|a|an|and|my|your)$"
)


@pytest.fixture(scope="module")
def demo() -> list[dict[str, Any]]:
    """The demo's dialogues (setup_demo: 300 dialogues of 40 people, seed 7) and a sample of the
    training set its model learns from (seed 8), from the full corpora where this checkout has them."""
    sets = [SimConfig(dialogues=300, users=40, seed=7), SimConfig(dialogues=1000, users=800, seed=8)]
    return [dialogue for config in sets for dialogue in Simulator(config, default_data_dir())]


def test_snips_speaks_the_vocabulary_of_hwu64_and_slurp() -> None:
    corpora = load_all(BUNDLED)
    snips = {u.intent for u in corpora["snips"]}
    assert snips == set(SNIPS_INTENTS.values())
    assert {"play_music", "weather_query"} <= snips & {u.intent for u in corpora["hwu64"]}
    weather = [u for u in load_snips(BUNDLED) if u.intent == "weather_query" and u.slots]
    assert weather and all(u.domain == "weather" for u in weather)
    types = {span[2] for u in corpora["snips"] for span in u.slots}
    assert "place_name" in types and not types & set(SNIPS_SLOT_TYPES)


def test_every_intent_of_the_demo_has_one_name_in_one_naming(demo) -> None:
    said = set()
    for dialogue in demo:
        for turn in dialogue["turns"]:
            said.update(
                name
                for name in (turn.get("intent"), dialogue["labels"]["turns"][turn["id"]]["intent"])
                if name
            )
    assert said and all(ONE_NAMING.match(name) for name in said), sorted(
        n for n in said if not ONE_NAMING.match(n)
    )
    assert not said & set(SNIPS_INTENTS)


def test_the_demo_says_no_template_leftovers(demo) -> None:
    lines = [
        text for dialogue in demo for text in dialogue["metadata"]["truth"]["intended_utterances"].values()
    ]
    assert len(lines) > 3000
    found = sorted({line for line in lines if LEFTOVER.search(line)})
    assert found == [], found[:20]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("set generic calendar event for next saturday", "placeholder 'generic'"),
        ("how is weather on such and such day", "placeholder 'such and such'"),
        ("turn_down speakers", "placeholder 'turn_down'"),
        ("check the weather app to see if", "cut off after 'if'"),
        ("i like music from when i was a teenager in the", "cut off after 'the'"),
        ("turn the radio on", None),
        ("what time is my alarm set for", None),
    ],
)
def test_a_leftover_is_told_from_a_request(line: str, why: str | None) -> None:
    assert leftover(line.split()) == why


def test_the_pools_keep_no_leftover_wording() -> None:
    pools = Pools(load_all(default_data_dir()))
    for intent, by_signature in pools.by_intent_sig.items():
        for wordings in by_signature.values():
            for wording in wordings:
                # As a goal says it: a kept slot in the corpus's words, a swapped one as a catalogue name.
                words = list(wording.literals[0])
                for original, kind, run in zip(
                    wording.originals, wording.slot_kinds, wording.literals[1:], strict=True
                ):
                    words += [*(original.split() if kind is None else ["springfield"]), *run]
                assert "generic" not in words and leftover(words) is None, (intent, words)
