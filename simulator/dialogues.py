"""The conversation generator: people pursuing goals through a failing pipeline, written as FORMAT.md lines.

Every label is true by construction: the generator decides what the person meant, what went wrong and
how they reacted, then writes the log a real assistant would have written about it.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.asr import Asr
from simulator.assistant import Assistant
from simulator.catalogues import Catalogues
from simulator.config import SimConfig
from simulator.corpora import load_all
from simulator.goals import Goal, GoalMaker, preference_fill
from simulator.habits import Habits
from simulator.nlu import WeakNlu
from simulator.people import make_users
from simulator.pipeline import Pipeline
from simulator.pools import Pools, compile_template
from simulator.requests import REACTIONS, RequestWriter
from simulator.templates import (
    ANSWERS,
    FALSE_WAKE_ANSWERS,
    LEARN_DONE,
    LEARN_START,
    NO_MATCH,
    QUESTIONS,
    SIDE_SPEECH,
    TEACH_CONFIRM,
)

VERSION = 1


def default_data_dir() -> Path:
    """../shared/data beside the checkout when it is there, else the subset bundled with the package."""
    here = Path(__file__).resolve().parent
    shared = here.parent.parent / "shared" / "data"
    return shared if (shared / "snips").is_dir() else here / "data"


class Simulator:
    """Builds everything once (pools, catalogues, people), then yields dialogues one by one."""

    def __init__(self, config: SimConfig, data_dir: Path | None = None) -> None:
        config.validate()
        self.config = config
        self.rng = random.Random(config.seed)
        self.data_dir = data_dir or default_data_dir()
        corpora = load_all(self.data_dir)
        self.pools = Pools(corpora)
        self.catalogues = Catalogues()
        self.asr = Asr(self.pools.vocabulary())
        self.nlu = WeakNlu.from_corpora(corpora)
        self.assistant = Assistant(config, self.pools, self.asr, self.nlu)
        self.pipeline = Pipeline(config, self.asr, self.catalogues, self.nlu, self.assistant)
        self.goals = GoalMaker(config, self.pools, self.catalogues)
        self.start = int(datetime.fromisoformat(config.start.replace("Z", "+00:00")).timestamp())
        self.users = make_users(self.rng, config, self.catalogues, self.pools, self.start)
        self.habits = Habits(config, self.pools, self.goals, self.asr, self.users, self.rng)
        acc = 0.0
        self.user_cum: list[float] = []
        for user in self.users:
            acc += user.activity
            self.user_cum.append(acc)
        self.answers = {
            kind: [compile_template("preference_answer", t) for t in texts] for kind, texts in ANSWERS.items()
        }
        total = sum(config.reactions.get(r, 0.0) for r in REACTIONS)
        acc, self.reaction_cum = 0.0, []
        for r in REACTIONS:
            acc += config.reactions.get(r, 0.0) / total
            self.reaction_cum.append(acc)
        self.stop_wordings = (
            self.pools.reactions["general_commandstop"] or self.pools.reactions["general_negate"]
        )

    @property
    def stage_counts(self) -> dict[str, int]:
        return self.pipeline.counts

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index in range(self.config.dialogues):
            yield self.dialogue(index)

    def dialogue(self, index: int) -> dict[str, Any]:
        rng = self.rng
        user = self.users[bisect.bisect_left(self.user_cum, rng.random() * self.user_cum[-1])]
        return _DialogueBuilder(self, user, index).build(rng)


class _DialogueBuilder(RequestWriter):
    """One dialogue, written: its plan of goals, false wakes, stops, teachings and guided questions
    (requests and the reactions to them are ``requests.py``'s)."""

    # --- the dialogue ----------------------------------------------------------------------------
    def build(self, rng: random.Random) -> dict[str, Any]:
        config, user, maker = self.config, self.user, self.sim.goals
        started = self.clock
        routine = bool(user.routine) and rng.random() < config.routine_rate
        state: dict[str, Any] = {"volume": user.volume}
        if routine:
            state["alarm"] = "ringing"
        elif rng.random() < 0.2:
            state["playing"] = "music"
        plan: list[Goal | None] = []  # None: stop the alarm
        if routine:
            plan.append(None)
            habits = self.sim.habits
            plan.extend(
                habits.request(user, rng, intent) or maker.request(user, rng, intent)
                for intent in user.routine
            )
        else:
            n = min(config.max_goals, 1 + _poisson(config.goals_mean - 1.0, rng))
            for _ in range(n):
                r = rng.random()
                if r < config.teach_rate:
                    plan.append(maker.teach(user, rng))
                elif r < config.teach_rate + config.guided_qa_rate:
                    plan.append(maker.learn(user, rng))
                else:
                    plan.append(self.sim.habits.request(user, rng) or maker.request(user, rng))
        for k, goal in enumerate(plan):
            if k and not (routine and k == 1):
                self.clock += 4.0 + rng.expovariate(1 / 40.0)  # between goals: a pause, often long
            if rng.random() < config.false_wake_rate:
                self.false_wake(rng)
            if goal is None:
                self.stop_alarm(rng)
            elif goal.kind == "teach":
                self.teach_goal(goal, rng)
            elif goal.kind == "learn":
                self.learn_goal(goal, rng)
            else:
                self.request_goal(goal, rng)
        user.sessions += 1
        # The next dialogue of this person starts hours or days later.
        user.clock = int(self.clock) + 1800 + int(rng.expovariate(1 / 40000.0))
        return {
            "id": f"sim-{config.seed}-{self.index + 1:06d}",
            "user_id": user.id,
            "device": {"type": user.device_type, "has_screen": user.has_screen, "state": state},
            "locale": config.locale,
            "started_at": self.turns[0]["timestamp"] if self.turns else _iso(started),
            "metadata": {
                "source": "selflearn-simulator",
                "simulator_version": VERSION,
                "seed": config.seed,
                "session": user.sessions,
                "scenario": "routine" if routine else "free",
                "user_preferences": user.preferences(),
                "assistant_knows": dict(user.known),
                "truth": {
                    "goals": self.goal_truth,
                    "intended_utterances": self.intended,
                    "successful_rewrite": self.rewrites,
                    "asr_errors": self.asr_truth,
                    "entities": self.entity_truth,
                    "assistant": self.sim.assistant.knobs(),
                },
            },
            "turns": self.turns,
            "labels": {"goals": self.goals, "turns": self.labels},
        }

    def false_wake(self, rng: random.Random) -> None:
        """Speech not meant for the device; the assistant wakes anyway. In no goal."""
        meant = SIDE_SPEECH[int(rng.random() * len(SIDE_SPEECH))]
        words = meant.split()
        if len(words) > 3 and rng.random() < 0.5:
            words = words[1 + int(rng.random() * 2) :]  # the detector fired mid-sentence
        text = " ".join(words)
        barge = rng.random() < 0.3
        if rng.random() < 0.5:
            response = NO_MATCH[int(rng.random() * len(NO_MATCH))]
            tid = self.emit(
                text,
                response,
                round(0.2 + 0.45 * rng.random(), 3),
                round(0.05 + 0.3 * rng.random(), 3),
                "unknown",
                None,
                None,
                "NO_MATCH",
                None,
                [],
                "false_wake",
                None,
                True,
                barge,
            )
        else:
            domain, intent, response = FALSE_WAKE_ANSWERS[int(rng.random() * len(FALSE_WAKE_ANSWERS))]
            tid = self.emit(
                text,
                response,
                round(0.2 + 0.45 * rng.random(), 3),
                round(0.2 + 0.4 * rng.random(), 3),
                domain,
                intent,
                None,
                "SUCCESS",
                None,
                [],
                "false_wake",
                None,
                True,
                barge,
            )
        self.intended[tid] = meant
        self.advance(len(words), response, barge, 3.0, 40.0, rng)

    def stop_alarm(self, rng: random.Random) -> None:
        wordings = self.sim.stop_wordings
        wording = wordings[int(rng.random() * len(wordings))]
        tid, n = self.simple_turn(wording, {}, "alarm", "Okay, alarm stopped.", rng)
        self.goals.append({"turns": [tid], "success": True})
        self.goal_truth.append({"intent": wording.intent, "slots": {}, "implicit": None})
        self.advance(n, "Okay, alarm stopped.", False, 1.0, 6.0, rng)

    def teach_goal(self, goal: Goal, rng: random.Random) -> None:
        fill = goal.fills[goal.wording.slot_types[0]][0]
        response = TEACH_CONFIRM[int(rng.random() * len(TEACH_CONFIRM))].format(v=fill.value)
        tid, n = self.simple_turn(goal.wording, goal.fills, "preference", response, rng)
        self.state_preference(tid, goal.teach_kind, goal.wording.slot_types[0])
        self.user.known[goal.teach_kind] = fill.value
        self.goals.append({"turns": [tid], "success": True})
        self.goal_truth.append(
            {"intent": goal.intent, "slots": {goal.wording.slot_types[0]: [fill.value]}, "implicit": None}
        )
        self.advance(n, response, False, 2.0, 10.0, rng)

    def learn_goal(self, goal: Goal, rng: random.Random) -> None:
        """ "learn my preferences", then one question and answer per preference asked about."""
        response = f"{LEARN_START} {QUESTIONS[goal.questions[0]]}"
        tid, n = self.simple_turn(goal.wording, {}, "preference", response, rng)
        tids = [tid]
        self.advance(n, response, False, 1.0, 5.0, rng)
        answered: dict[str, list[str]] = {}
        for k, kind in enumerate(goal.questions):
            options = self.sim.answers[kind]
            wording = options[int(rng.random() * len(options))]
            fill = preference_fill(self.user, kind)
            response = QUESTIONS[goal.questions[k + 1]] if k + 1 < len(goal.questions) else LEARN_DONE
            tid, n = self.simple_turn(wording, {wording.slot_types[0]: [fill]}, "preference", response, rng)
            self.state_preference(tid, kind, wording.slot_types[0])
            tids.append(tid)
            self.user.known[kind] = fill.value
            answered[wording.slot_types[0]] = [fill.value]
            self.advance(n, response, False, 1.0, 5.0, rng)
        self.goals.append({"turns": tids, "success": True})
        self.goal_truth.append({"intent": goal.intent, "slots": answered, "implicit": None})


def _poisson(mean: float, rng: random.Random) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(seconds))) + ".000Z"
