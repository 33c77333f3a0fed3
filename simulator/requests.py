"""A request and every reaction to it: attempts through the pipeline, and after a failure a rephrase,
a repeat, a "no, that's wrong", a teachable moment or giving up, until it is served or abandoned."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.goals import Goal
from simulator.pipeline import Outcome
from simulator.pools import Fill, Wording, realise
from simulator.templates import ACKS, SORRY, TEACH_CONFIRM
from simulator.turns import TurnWriter, layout

REACTIONS = ("rephrase", "repeat", "negate", "give_up")
# Where an implicit request's explicit rephrase puts the entity ("what's the weather in springfield ohio").
EXPLICIT_SLOT = {"city": "place_name", "team": "sport_team"}


@dataclass
class _Attempts:
    """Where a goal's attempts stand: the wording the person says next, the turns so far, the failed
    ones (for their rewrite labels), and how it ended."""

    wording: Wording
    fills: dict[str, list[Fill]]
    tids: list[str] = field(default_factory=list)
    failed: list[tuple[str, Outcome, list[str]]] = field(default_factory=list)
    previous: str | None = None
    success: bool = False
    success_text: str = ""


class RequestWriter(TurnWriter):
    """The request goals of a dialogue (``dialogues._DialogueBuilder`` writes the rest)."""

    def request_goal(self, goal: Goal, rng: random.Random) -> None:
        attempts = _Attempts(goal.wording, goal.fills)
        first_known = bool(goal.implicit_kind) and goal.implicit_kind in self.user.known
        for attempt in range(self.config.max_attempts):
            out, tid, tokens, barge = self._attempt(goal, attempts, rng)
            if out.failure == "none":
                self._served(out, tokens, barge, attempts, rng)
                break
            attempts.failed.append((tid, out, tokens))
            if attempt + 1 >= self.config.max_attempts:
                self.advance(len(tokens), out.response, barge, 2.0, 8.0, rng)
                break
            if not self._react(goal, out, tokens, barge, attempts, rng):
                break
            attempts.previous = tid
        self.goals.append({"turns": attempts.tids, "success": attempts.success})
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
        for tid, out, tokens in attempts.failed:
            rewrite = (
                attempts.success_text if attempts.success else self.fallback_rewrite(goal, out, tokens, rng)
            )
            self.rewrites[tid] = self.labels[tid]["rewrite"] = rewrite

    def _attempt(
        self, goal: Goal, attempts: _Attempts, rng: random.Random
    ) -> tuple[Outcome, str, list[str], bool]:
        """One request turn: the person's words through the pipeline, written with its labels and
        truth. The outcome, the turn's id, the words meant, and whether the person barged in."""
        config, user, sim, wording = self.config, self.user, self.sim, attempts.wording
        tokens, tags, used = realise(wording, attempts.fills)
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
        label_slots = [{"start": s, "end": e, "type": types[i], "value": used[i].value} for i, s, e in spans]
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
            attempts.previous,
            is_failure,
            barge,
            feedback,
        )
        attempts.tids.append(tid)
        self.intended[tid] = " ".join(tokens)
        if out.asr != "clean":
            self.asr_truth[tid] = out.asr
        if out.meant:
            self.entity_truth[tid] = {"meant": out.meant, "resolved": out.resolved}
        return out, tid, tokens, barge

    def _served(
        self, out: Outcome, tokens: list[str], barge: bool, attempts: _Attempts, rng: random.Random
    ) -> None:
        """The request was answered right (or rightly refused): sometimes the person says thanks."""
        attempts.success = out.status == "SUCCESS"
        attempts.success_text, _ = layout(out.tokens, out.tags)
        self.advance(len(tokens), out.response, barge, 1.0, 4.0, rng)
        if attempts.success and rng.random() < self.config.thanks_rate:
            praise = self.sim.pools.reactions["general_praise"]
            ack = ACKS[int(rng.random() * len(ACKS))]
            thanks, n = self.simple_turn(praise[int(rng.random() * len(praise))], {}, "general", ack, rng)
            attempts.tids.append(thanks)
            self.advance(n, ack, False, 1.0, 4.0, rng)

    def _react(
        self,
        goal: Goal,
        out: Outcome,
        tokens: list[str],
        barge: bool,
        attempts: _Attempts,
        rng: random.Random,
    ) -> bool:
        """How the person reacts to a failure, and whether they try again: give up, repeat, say it was
        wrong first, teach the preference it missed, then say it again or another way."""
        reaction = self.pick_reaction(rng)
        if reaction == "give_up":
            self.advance(len(tokens), out.response, barge, 2.0, 8.0, rng)
            return False
        low, high = (0.3, 2.5) if reaction == "repeat" else (0.8, 5.0)
        self.advance(len(tokens), out.response, barge, low, high, rng)
        if (
            out.failure == "entity"
            and goal.implicit is not None
            and rng.random() < self.config.teach_after_preference_miss
        ):
            self._teach_the_miss(goal, attempts, rng)
            reaction = "repeat"
        elif reaction == "negate":
            negate = self.sim.pools.reactions["general_negate"]
            sorry = SORRY[int(rng.random() * len(SORRY))]
            said, n = self.simple_turn(negate[int(rng.random() * len(negate))], {}, "general", sorry, rng)
            attempts.tids.append(said)
            self.advance(n, sorry, False, 0.8, 3.0, rng)
        if reaction != "repeat":
            attempts.wording, attempts.fills = self.rephrase(goal, attempts.wording, attempts.fills, out, rng)
        return True

    def _teach_the_miss(self, goal: Goal, attempts: _Attempts, rng: random.Random) -> None:
        """A teachable moment: "no, i'm a fan of the golden state warriors", before the same request."""
        teach = self.sim.goals.teach(self.user, rng, goal.implicit_kind)
        value = teach.fills[teach.wording.slot_types[0]][0].value
        response = TEACH_CONFIRM[int(rng.random() * len(TEACH_CONFIRM))].format(v=value)
        taught, n = self.simple_turn(teach.wording, teach.fills, "preference", response, rng)
        self.state_preference(taught, goal.implicit_kind, teach.wording.slot_types[0])
        attempts.tids.append(taught)
        self.user.known[goal.implicit_kind] = value
        self.advance(n, response, False, 0.8, 3.0, rng)

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
