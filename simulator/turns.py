"""Writing a dialogue's turns: each turn with its labels and the log's clock, for the generator
(``dialogues.py``) and its requests (``requests.py``)."""

from __future__ import annotations

import random
import time
from typing import Any, Protocol

from simulator.assistant import Assistant
from simulator.config import SimConfig
from simulator.goals import PREFERENCE_KEYS, GoalMaker
from simulator.habits import Habits
from simulator.people import User
from simulator.pipeline import Pipeline
from simulator.pools import Fill, Pools, Wording, realise


class Generator(Protocol):
    """What writing turns reads of the simulator (``dialogues.Simulator``), built once per run."""

    config: SimConfig
    assistant: Assistant
    pools: Pools
    pipeline: Pipeline
    goals: GoalMaker
    habits: Habits
    reaction_cum: list[float]
    answers: dict[str, list[Wording]]
    stop_wordings: list[Wording]


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


class TurnWriter:
    """One dialogue's state while it is written: turns, labels and truth, and the clock."""

    def __init__(self, sim: Generator, user: User, index: int) -> None:
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
