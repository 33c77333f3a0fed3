# Long: the conversation of one person, turn by turn; its request-and-reaction part (request_goal,
# rephrase) is being reworked for people's habits and moves to a module of its own with that change.
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
from simulator.goals import PREFERENCE_KEYS, Goal, GoalMaker, preference_fill
from simulator.habits import Habits
from simulator.nlu import WeakNlu
from simulator.people import User, make_users
from simulator.pipeline import Outcome, Pipeline
from simulator.pools import Fill, Pools, Wording, compile_template, realise
from simulator.templates import (
    ACKS,
    ANSWERS,
    FALSE_WAKE_ANSWERS,
    LEARN_DONE,
    LEARN_START,
    NO_MATCH,
    QUESTIONS,
    SIDE_SPEECH,
    SORRY,
    TEACH_CONFIRM,
)

VERSION = 1
REACTIONS = ("rephrase", "repeat", "negate", "give_up")
# Where an implicit request's explicit rephrase puts the entity ("what's the weather in springfield ohio").
EXPLICIT_SLOT = {"city": "place_name", "team": "sport_team"}


def default_data_dir() -> Path:
    """../shared/data beside the checkout when it is there, else the subset bundled with the package."""
    here = Path(__file__).resolve().parent
    shared = here.parent.parent / "shared" / "data"
    return shared if (shared / "snips").is_dir() else here / "data"


def layout(tokens: list[str], tags: list[int]) -> tuple[str, list[tuple[int, int, int]]]:
    """The utterance text and each slot's (slot index, start, end) in it."""
    spans: list[tuple[int, int, int]] = []
    pos = 0
    last = -1
    for token, tag in zip(tokens, tags, strict=True):
        start = pos + 1 if pos else 0
        pos = start + len(token)
        if tag >= 0:
            if tag == last:
                spans[-1] = (tag, spans[-1][1], pos)
            else:
                spans.append((tag, start, pos))
        last = tag
    return " ".join(tokens), spans


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


class _DialogueBuilder:
    """One dialogue's state while it is written: turns, labels and truth, and the clock."""

    def __init__(self, sim: Simulator, user: User, index: int) -> None:
        self.sim = sim
        self.config = sim.config
        self.user = user
        self.index = index
        self.turns: list[dict[str, Any]] = []
        self.labels: dict[str, dict[str, Any]] = {}
        self.goals: list[dict[str, Any]] = []
        self.intended: dict[str, str] = {}
        self.rewrites: dict[str, str | None] = {}
        self.asr_truth: dict[str, str] = {}
        self.entity_truth: dict[str, dict[str, str]] = {}
        self.goal_truth: list[dict[str, Any]] = []
        self.clock = float(user.clock)

    # --- writing turns ---------------------------------------------------------------------------
    def emit(
        self,
        text: str,
        response: str,
        asr_conf: float,
        nlu_conf: float,
        domain: str,
        intent: str | None,
        slots: list[dict[str, Any]] | None,
        status: str,
        label_intent: str | None,
        label_slots: list[dict[str, Any]],
        failure: str,
        rephrase_of: str | None,
        defect: bool,
        barge_in: bool = False,
        feedback: str = "",
    ) -> str:
        tid = f"t{len(self.turns) + 1}"
        whole = int(self.clock)
        turn: dict[str, Any] = {
            "id": tid,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
            + f".{int((self.clock - whole) * 1000):03d}Z",
            "utterance": text,
            "response": response,
            "asr_confidence": asr_conf,
            "nlu_confidence": nlu_conf,
            "domain": domain,
        }
        if intent is not None:
            turn["intent"] = intent
        turn["slots"] = slots or []
        turn["status"] = status
        turn["barge_in"] = barge_in
        if feedback:
            turn["feedback"] = feedback
        self.turns.append(turn)
        self.labels[tid] = {
            "intent": label_intent,
            "slots": label_slots,
            "failure_point": failure,
            "rephrase_of": rephrase_of,
            "defect": defect,
        }
        return tid

    def advance(
        self, words: int, response: str, barge_in: bool, low: float, high: float, rng: random.Random
    ) -> None:
        """Move the clock past this turn (speech, then the response or the barge-in) and a pause."""
        speech = 0.5 + 0.33 * words
        reply = 0.3 + rng.random() * 1.5 if barge_in else 0.8 + 0.055 * len(response)
        self.clock += speech + reply + low + (high - low) * rng.random()

    def simple_turn(
        self, wording: Wording, fills: dict[str, list[Fill]], domain: str, response: str, rng: random.Random
    ) -> tuple[str, int]:
        """A turn the pipeline gets right (reactions, teaching): no failure, no defect."""
        tokens, tags, used = realise(wording, fills)
        text, spans = layout(tokens, tags)
        types = wording.slot_types
        label_slots = [{"start": s, "end": e, "type": types[i], "value": used[i].value} for i, s, e in spans]
        tid = self.emit(
            text,
            response,
            round(0.8 + 0.19 * rng.random(), 3),
            round(0.8 + 0.19 * rng.random(), 3),
            domain,
            wording.intent,
            label_slots,
            "SUCCESS",
            wording.intent,
            label_slots,
            "none",
            None,
            False,
        )
        self.intended[tid] = text
        return tid, len(tokens)

    def state_preference(self, tid: str, kind: str, slot_type: str) -> None:
        """Label the teaching turn ``tid`` with the preference of ``kind`` it states: the value its slot
        of ``slot_type`` resolves to, liked, with that slot's span."""
        domain, key = PREFERENCE_KEYS[kind]
        label = self.labels[tid]
        span = next(span for span in label["slots"] if span["type"] == slot_type)
        label["preferences"] = [
            {
                "domain": domain,
                "key": key,
                "value": span["value"],
                "polarity": "like",
                "start": span["start"],
                "end": span["end"],
            }
        ]

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

    def request_goal(self, goal: Goal, rng: random.Random) -> None:
        # Long: a request and every reaction to it (rephrase, repeat, barge in, give up) in one loop,
        # reworked for people's habits now; it splits by reaction with that change.
        config, user, sim = self.config, self.user, self.sim
        wording, fills = goal.wording, goal.fills
        tids: list[str] = []
        failed: list[tuple[str, Outcome, list[str]]] = []
        previous: str | None = None
        success = False
        success_text = ""
        last_reaction = ""
        first_known = bool(goal.implicit_kind) and goal.implicit_kind in user.known
        for attempt in range(config.max_attempts):
            tokens, tags, used = realise(wording, fills)
            known = bool(goal.implicit_kind) and goal.implicit_kind in user.known
            out = sim.pipeline.run(
                goal,
                tokens,
                tags,
                used,
                known,
                rng,
                user=user.id,
                slot_types=wording.slot_types,
                accent=sim.habits.of(user).accent,
            )
            text, spans = layout(out.tokens, out.tags)
            types = wording.slot_types
            label_slots = [
                {"start": s, "end": e, "type": types[i], "value": used[i].value} for i, s, e in spans
            ]
            values = out.values
            slots = (
                None
                if values is None
                else [{"start": s, "end": e, "type": types[i], "value": values[i]} for i, s, e in spans]
            )
            is_failure = out.failure != "none"
            barge = rng.random() < (config.barge_in_rate if is_failure else 0.02)
            feedback = ""
            if is_failure and rng.random() < config.negative_feedback_rate:
                feedback = "negative"
            elif not is_failure and rng.random() < config.positive_feedback_rate:
                feedback = "positive"
            tid = self.emit(
                text,
                out.response,
                out.asr_confidence,
                out.nlu_confidence,
                out.domain,
                out.intent,
                slots,
                out.status,
                goal.intent,
                label_slots,
                out.failure,
                previous,
                is_failure,
                barge,
                feedback,
            )
            tids.append(tid)
            self.intended[tid] = " ".join(tokens)
            if out.asr != "clean":
                self.asr_truth[tid] = out.asr
            if out.meant:
                self.entity_truth[tid] = {"meant": out.meant, "resolved": out.resolved}
            if not is_failure:
                success = out.status == "SUCCESS"
                success_text = text
                self.advance(len(tokens), out.response, barge, 1.0, 4.0, rng)
                if success and rng.random() < config.thanks_rate:
                    praise = sim.pools.reactions["general_praise"]
                    ack = ACKS[int(rng.random() * len(ACKS))]
                    thanks, n = self.simple_turn(
                        praise[int(rng.random() * len(praise))], {}, "general", ack, rng
                    )
                    tids.append(thanks)
                    self.advance(n, ack, False, 1.0, 4.0, rng)
                break
            failed.append((tid, out, tokens))
            if attempt + 1 >= config.max_attempts:
                self.advance(len(tokens), out.response, barge, 2.0, 8.0, rng)
                break
            last_reaction = self.pick_reaction(rng)
            if last_reaction == "give_up":
                self.advance(len(tokens), out.response, barge, 2.0, 8.0, rng)
                break
            if last_reaction == "repeat":
                self.advance(len(tokens), out.response, barge, 0.3, 2.5, rng)
            else:
                self.advance(len(tokens), out.response, barge, 0.8, 5.0, rng)
            if (
                out.failure == "entity"
                and goal.implicit is not None
                and (rng.random() < config.teach_after_preference_miss)
            ):
                # A teachable moment: "no, i'm a fan of the golden state warriors", then the same request.
                teach = sim.goals.teach(user, rng, goal.implicit_kind)
                value = teach.fills[teach.wording.slot_types[0]][0].value
                response = TEACH_CONFIRM[int(rng.random() * len(TEACH_CONFIRM))].format(v=value)
                taught, n = self.simple_turn(teach.wording, teach.fills, "preference", response, rng)
                self.state_preference(taught, goal.implicit_kind, teach.wording.slot_types[0])
                tids.append(taught)
                user.known[goal.implicit_kind] = value
                self.advance(n, response, False, 0.8, 3.0, rng)
                last_reaction = "repeat"
            elif last_reaction == "negate":
                negate = sim.pools.reactions["general_negate"]
                sorry = SORRY[int(rng.random() * len(SORRY))]
                said, n = self.simple_turn(negate[int(rng.random() * len(negate))], {}, "general", sorry, rng)
                tids.append(said)
                self.advance(n, sorry, False, 0.8, 3.0, rng)
            if last_reaction != "repeat":
                wording, fills = self.rephrase(goal, wording, fills, out, rng)
            previous = tid
        self.goals.append({"turns": tids, "success": success})
        self.goal_truth.append(
            {
                "intent": goal.intent,
                "slots": {t: [f.value for f in fs] for t, fs in goal.fills.items()},
                "implicit": goal.implicit_text or None,
                # What a replay needs to ask the assistant about other words for this request
                # (simulator.judge): which values are entities it resolves, whether it knew the
                # implicit preference when the goal began, and whether anybody could have done it.
                "entity_slots": sorted({t for t, fs in goal.fills.items() if any(f.entity for f in fs)}),
                "known": first_known,
                "unfulfillable": goal.unfulfillable,
                "habit": goal.habit,
            }
        )
        for tid, out, tokens in failed:
            rewrite = success_text if success else self.fallback_rewrite(goal, out, tokens, rng)
            self.rewrites[tid] = self.labels[tid]["rewrite"] = rewrite

    def pick_reaction(self, rng: random.Random) -> str:
        x = rng.random()
        for name, edge in zip(REACTIONS, self.sim.reaction_cum, strict=True):
            if x < edge:
                return name
        return REACTIONS[-1]

    def rephrase(
        self, goal: Goal, wording: Wording, fills: dict[str, list[Fill]], out: Outcome, rng: random.Random
    ) -> tuple[Wording, dict[str, list[Fill]]]:
        """Another real wording of the same request; after a wrong entity, one that leaves no doubt."""
        pools = self.sim.pools
        if out.failure == "entity":
            if goal.implicit is not None:
                explicit = pools.by_intent_sig[goal.intent].get((EXPLICIT_SLOT[goal.implicit_kind],), [])
                if explicit:
                    e = goal.implicit
                    chosen = explicit[int(rng.random() * len(explicit))]
                    return chosen, {chosen.slot_types[0]: [Fill(e.specific, e.value, e, True)]}
            elif rng.random() < 0.85:
                fills = {
                    t: [
                        Fill(f.entity.specific, f.value, f.entity, True) if f.entity is not None else f
                        for f in fs
                    ]
                    for t, fs in fills.items()
                }
        options = pools.alternatives(wording)
        if len(options) > 1:
            choice = options[int(rng.random() * len(options))]
            if choice is wording:
                choice = options[(options.index(wording) + 1) % len(options)]
            return choice, fills
        return wording, fills

    def fallback_rewrite(self, goal: Goal, out: Outcome, tokens: list[str], rng: random.Random) -> str | None:
        """For a goal never achieved: the utterance that would have succeeded, where one would."""
        if out.failure == "asr":
            return " ".join(tokens)  # what was said, heard right
        if out.failure in ("nlu", "entity"):
            wording, fills = self.rephrase(goal, goal.wording, goal.fills, out, rng)
            realised, _, _ = realise(wording, fills)
            return " ".join(realised)
        return None  # result: the reading was right; no wording would have helped


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
