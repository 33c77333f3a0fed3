"""The replay's judge asks the simulated assistant about other words for a logged request."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

from simulator.dialogues import Simulator
from simulator.judge import Judge, Request, logged_requests


def _requests(dialogues: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Request]]:
    return [(d, request) for d in dialogues for request in logged_requests(d).values()]


def _failure_point(dialogue: dict[str, Any], request: Request) -> str:
    return str(dialogue["labels"]["turns"][request.turn_id]["failure_point"])


def _fill(carrier: str, request: Request) -> str:
    """The words of a carrier with the request's values put in, in order of their types."""
    values: dict[str, list[str]] = {}
    for kind, value in request.slots:
        values.setdefault(kind, []).append(value.lower())
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)].pop(0), carrier)


def test_the_judge_serves_what_the_log_served_and_not_what_failed(
    dialogues: list[dict[str, Any]], judge: Judge
) -> None:
    outcomes: Counter[tuple[str, bool]] = Counter()
    for d, request in _requests(dialogues):
        outcomes[(_failure_point(d, request), judge.serves(request, request.said).served)] += 1
    assert outcomes[("none", True)] > 3000
    # Words that parse two ways ("the workout mix playlist": a name with "playlist" in it or not) are
    # placed the longer way, which is now and then not the way the person said them.
    disagree = outcomes[("none", False)] + sum(
        n for (point, served), n in outcomes.items() if point not in ("none", "asr") and served
    )
    assert disagree <= 0.001 * sum(outcomes.values()), outcomes
    assert outcomes[("asr", True)] <= 0.005 * sum(n for (point, _), n in outcomes.items() if point == "asr")


def test_a_misread_request_in_another_wording_of_its_intent_is_served(
    dialogues: list[dict[str, Any]], judge: Judge
) -> None:
    """The NLU failure that rewriting by meaning fixes: the same values in words it reads."""
    fixed = 0
    for d, request in _requests(dialogues):
        if _failure_point(d, request) != "nlu" or request.entity_slots or request.implicit:
            continue
        verdict = judge.serves(request, request.said)
        assert (verdict.served, verdict.stage) == (False, "nlu")
        assistant = judge.assistant(request.assistant)
        slots = sorted(re.findall(r"\{\w+\}", verdict.carrier))
        readable = [
            key
            for key, intents in assistant.carriers.items()
            if request.intent in intents
            and sorted(re.findall(r"\{\w+\}", key)) == slots
            and not assistant.misreads(request.intent, key)
        ]
        if not readable:
            continue
        rewrite = judge.serves(request, _fill(readable[0], request))
        if rewrite.carrier != readable[0]:
            continue  # a value that is also a word of the carrier: the words parse another way
        if request.unfulfillable or not assistant.backend_fails(request.dialogue_id, request.turn_id):
            assert rewrite.served, (request.said, readable[0])
            fixed += 1
        else:
            assert rewrite.stage == "result"
    assert fixed > 50


def test_a_rewrite_that_loses_a_value_is_not_served(dialogues: list[dict[str, Any]], judge: Judge) -> None:
    checked = 0
    for d, request in _requests(dialogues):
        if _failure_point(d, request) != "none" or not request.slots or not request.through_pipeline:
            continue
        _, value = request.slots[0]
        entity = judge.entity(value)
        said = request.said
        for name in [entity.specific, entity.spoken] if entity else [value.lower()]:
            said = re.sub(rf"\b{re.escape(name)}\b", "something", said)
        if said != request.said:
            assert judge.serves(request, said).stage == "slots", (request.said, said)
            checked += 1
    assert checked > 500


def test_naming_another_city_for_an_implicit_home_city_is_not_served(
    dialogues: list[dict[str, Any]], judge: Judge
) -> None:
    implicit = [
        request
        for d, request in _requests(dialogues)
        if request.implicit
        and "," in request.implicit  # a city
        and not request.implicit.startswith("Springfield")
        and _failure_point(d, request) == "none"
    ]
    assert implicit
    for request in implicit[:20]:
        assert judge.serves(request, request.said).served
        assert judge.serves(request, request.said + " in springfield missouri").stage == "slots"


def test_a_wrongly_resolved_name_is_resolved_again_when_said_without_doubt(
    dialogues: list[dict[str, Any]], judge: Judge
) -> None:
    """Entity resolution reads the person and how they named it: said plainly it fails again, said
    without doubt it is resolved at the lower rate (whatever that draw is, the same every time)."""
    checked = 0
    for d, request in _requests(dialogues):
        if _failure_point(d, request) != "entity" or not request.entity_slots:
            continue
        verdict = judge.serves(request, request.said)
        assert not verdict.served
        if verdict.entity is None:
            continue  # words that parse two ways, read the other way (see the first test)
        assert verdict.stage == "entity"
        value, specific = verdict.entity
        entity = judge.entity(value)
        assert entity is not None
        if specific or entity.spoken not in request.said:
            continue
        clearer = judge.serves(request, request.said.replace(entity.spoken, entity.specific, 1))
        assert clearer.entity == (value, True)
        assistant = judge.assistant(request.assistant)
        assert (clearer.stage == "entity") is assistant.misresolves(request.user, value, True)
        checked += 1
    assert checked > 20


def test_reactions_and_teachings_are_served_only_as_said(
    dialogues: list[dict[str, Any]], judge: Judge
) -> None:
    others = [request for _, request in _requests(dialogues) if not request.through_pipeline]
    assert others
    for request in others[:50]:
        assert judge.serves(request, request.said).served
        assert judge.serves(request, "uh " + request.said).served  # a filler reads the same
        assert not judge.serves(request, request.said + " tomorrow").served


def test_the_result_stage_is_drawn_once_per_turn_that_never_reached_it(
    dialogues: list[dict[str, Any]], judge: Judge
) -> None:
    misread = [request for d, request in _requests(dialogues) if _failure_point(d, request) == "nlu"]
    unreached = [dataclasses.replace(request, backend_failed=None) for request in misread]
    assert all(request.backend_failed is None for request in misread)
    assistant = judge.assistant(unreached[0].assistant)
    failed = [assistant.backend_fails(r.dialogue_id, r.turn_id) for r in unreached]
    assert failed == [assistant.backend_fails(r.dialogue_id, r.turn_id) for r in unreached]
    share = sum(failed) / len(failed)
    assert abs(share - assistant.result_error_rate) < 0.05


def test_logged_requests_are_each_goal_s_attempts_with_its_truth(
    generated: tuple[list[dict[str, Any]], Simulator],
) -> None:
    dialogues, sim = generated
    for d in dialogues[:200]:
        requests = logged_requests(d)
        for goal, truth in zip(d["labels"]["goals"], d["metadata"]["truth"]["goals"], strict=True):
            first = requests[goal["turns"][0]]
            assert first.intent == truth["intent"] and first.user == d["user_id"]
            assert dict(first.assistant)["seed"] == sim.config.assistant_seed
    assert logged_requests({"id": "real", "turns": [], "labels": {}}) == {}
