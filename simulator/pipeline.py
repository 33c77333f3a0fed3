"""The assistant's pipeline, failing as real ones do: ASR, NLU, entity resolution, result.

Each stage fails at its configured rate, conditional on the turn reaching it with nothing wrong so far:
the recogniser and the result stage at random, NLU and entity resolution by the words, the same way
every time (``assistant.py``). Each failure leaves the evidence a real log shows: mis-heard words (a
pronunciation model's confusions) and a low ASR confidence, a response from the wrong domain (the
intent a real but weaker classifier reads in the heard words), the wrong one of two similar entities
in the slots and the answer, or a confident but useless answer. The first stage whose error the turn
does not recover from is the turn's failure point.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.asr import Asr
from simulator.assistant import Assistant, carrier, draw, leaves_no_doubt
from simulator.catalogues import Catalogues
from simulator.config import SimConfig
from simulator.corpora import domain_of
from simulator.goals import Goal
from simulator.habits import Accent
from simulator.nlu import WeakNlu
from simulator.pools import Fill
from simulator.templates import (
    INTENT_RESPONSES,
    NO_MATCH,
    NOT_FOUND,
    RESULT_FAILURES,
    SUCCESS_RESPONSES,
    UNFULFILLABLE,
)

STAGE_COUNTERS = (
    "asr_reached",
    "asr_error",
    "asr_slip",
    "nlu_reached",
    "nlu_error",
    "entity_reached",
    "entity_error",
    "entity_reached_specific",
    "entity_error_specific",
    "result_reached",
    "result_error",
    "unfulfillable",
    "accent_reached",
    "accent_error",
)


@dataclass(slots=True)
class Outcome:
    tokens: list[str]  # what the assistant heard
    tags: list[int]  # slot index per heard token, -1 outside slots
    asr: str  # "clean", "slip" (recovered) or "error"
    asr_confidence: float
    nlu_confidence: float
    failure: str  # the turn's failure point
    intent: str | None  # the assistant's intent; None for NO_MATCH
    domain: str
    values: list[str] | None  # the assistant's value per slot index; None: it produced no slots
    status: str
    response: str
    resolved: str = ""  # the entity the assistant used, where it picked one
    meant: str = ""  # the entity the person meant, where the entity stage ran


@dataclass(slots=True)
class _Heard:
    """What the recogniser made of the request, which every later outcome of the turn carries."""

    tokens: list[str]
    tags: list[int]
    asr: str
    confidence: float

    def outcome(
        self,
        *,
        nlu_confidence: float,
        failure: str,
        intent: str | None,
        domain: str,
        values: list[str] | None,
        status: str,
        response: str,
        resolved: str = "",
        meant: str = "",
    ) -> Outcome:
        return Outcome(
            tokens=self.tokens,
            tags=self.tags,
            asr=self.asr,
            asr_confidence=self.confidence,
            nlu_confidence=nlu_confidence,
            failure=failure,
            intent=intent,
            domain=domain,
            values=values,
            status=status,
            response=response,
            resolved=resolved,
            meant=meant,
        )


@dataclass(slots=True)
class _Understood:
    """A request the NLU read right: what entity resolution and the result stage start from."""

    heard: _Heard
    nlu_confidence: float
    intent: str
    domain: str
    values: list[str]

    def outcome(self, failure: str, status: str, response: str, resolved: str, meant: str) -> Outcome:
        return self.heard.outcome(
            nlu_confidence=self.nlu_confidence,
            failure=failure,
            intent=self.intent,
            domain=self.domain,
            values=self.values,
            status=status,
            response=response,
            resolved=resolved,
            meant=meant,
        )


@dataclass(frozen=True, slots=True)
class _Resolving:
    """What entity resolution reads besides the words: who asks, the wording's slot types, and
    whether the assistant was taught the preference the request leaves implicit."""

    user: str
    slot_types: Sequence[str]
    known: bool


def _conf(rng: random.Random, low: float, high: float) -> float:
    return round(low + (high - low) * rng.random(), 3)


_MENTIONING: dict[str, tuple[str, ...]] = {}
_PLAIN: dict[str, tuple[str, ...]] = {}


def respond(intent: str, value: str, rng: random.Random, mention: bool = False) -> str:
    """What the assistant says when it carries out `intent` on `value`; `mention`: the answer must name
    the value (an entity it resolved), as real answers do ("In Springfield, IL it's 54 degrees")."""
    options = INTENT_RESPONSES.get(intent) or SUCCESS_RESPONSES.get(domain_of(intent)) or ("Okay, {v}.",)
    if mention:
        named = _MENTIONING.get(intent)
        if named is None:
            named = _MENTIONING[intent] = tuple(o for o in options if "{v}" in o) or ("Okay, here's {v}.",)
        options = named
    elif not value:
        # No slot to talk about: an answer that needs none ("Traffic to that is light" is not one).
        plain = _PLAIN.get(intent)
        if plain is None:
            plain = _PLAIN[intent] = tuple(o for o in options if "{v}" not in o) or ("Okay, here you go.",)
        options = plain
    text = options[int(rng.random() * len(options))]
    return text.format(v=value, n=2 + int(rng.random() * 80), h=1 + int(rng.random() * 12))


class Pipeline:
    def __init__(
        self, config: SimConfig, asr: Asr, catalogues: Catalogues, nlu: WeakNlu, assistant: Assistant
    ) -> None:
        self.config = config
        self.asr = asr
        self.nlu = nlu
        self.assistant = assistant
        self._catalogues = catalogues
        self.counts: dict[str, int] = dict.fromkeys(STAGE_COUNTERS, 0)

    def run(
        self,
        goal: Goal,
        tokens: list[str],
        tags: list[int],
        fills: list[Fill],
        known: bool,
        rng: random.Random,
        *,
        user: str = "",
        slot_types: Sequence[str] = (),
        accent: Accent | None = None,
    ) -> Outcome:
        """One request turn through every stage. `known`: the assistant was taught this preference;
        `user`: who speaks (the resolver reads it); `slot_types`: the wording's, one per fill;
        `accent`: a name this person says that the recogniser keeps mis-hearing."""
        main = next((i for i, fill in enumerate(fills) if fill.entity is not None), 0 if fills else -1)
        display = (
            fills[main].value
            if main >= 0
            else (f"some {goal.implicit_text} music" if goal.implicit_kind == "genre" else goal.implicit_text)
        )
        types = slot_types or goal.wording.slot_types
        heard = self._recognise(goal, list(tokens), list(tags), fills, main, rng, types, accent)
        if isinstance(heard, Outcome):
            return heard
        self.counts["nlu_reached"] += 1
        key = carrier(heard.tokens, heard.tags, types, self.assistant.silent)
        if self.assistant.misreads(goal.intent, key):
            self.counts["nlu_error"] += 1
            wrong = self.assistant.misreading(goal.intent, key, " ".join(heard.tokens))
            raw = [f.text for f in fills] if rng.random() < 0.5 else None
            return heard.outcome(
                nlu_confidence=_conf(rng, 0.35, 0.75),
                failure="nlu",
                intent=wrong,
                domain=domain_of(wrong),
                values=raw,
                status="SUCCESS",
                response=respond(wrong, fills[main].text if main >= 0 else "", rng),
            )
        nlu_conf = _conf(rng, 0.5, 0.75) if rng.random() < 0.08 else _conf(rng, 0.75, 0.99)
        understood = _Understood(heard, nlu_conf, goal.intent, goal.wording.domain, [f.value for f in fills])
        resolving = _Resolving(user, types, known)
        return self._resolve_and_answer(goal, understood, fills, main, display, resolving, rng)

    def _recognise(
        self,
        goal: Goal,
        heard: list[str],
        heard_tags: list[int],
        fills: list[Fill],
        main: int,
        rng: random.Random,
        slot_types: Sequence[str],
        accent: Accent | None,
    ) -> _Heard | Outcome:
        """The ASR stage: what was heard, or the turn's outcome when a mis-hearing ended it."""
        config, counts = self.config, self.counts
        # A perfect recogniser (asr_error_rate 0) hears every accent.
        misheard = (
            self._mishears(accent, heard, heard_tags, rng) if accent and config.asr_error_rate > 0 else -1
        )
        if misheard >= 0:
            return self._asr_failure(goal, heard, heard_tags, fills, True, misheard, rng)
        counts["asr_reached"] += 1
        asr = "clean"
        if rng.random() < config.asr_error_rate:
            if rng.random() < config.asr_recover_rate:
                self.asr.slip(heard, heard_tags, rng)
                asr = "slip"
                counts["asr_slip"] += 1
            else:
                in_slot = main >= 0 and rng.random() < 0.6
                done = self.asr.corrupt(heard, heard_tags, rng, main if in_slot else -1)
                if not done and main >= 0:
                    in_slot = not in_slot
                    done = self.asr.corrupt(heard, heard_tags, rng, main if in_slot else -1)
                changed = fills[main] if in_slot else None
                if done and self._reads_alike(goal, heard, heard_tags, slot_types, changed, main):
                    # Mis-heard into words the assistant reads the same way (another wording of the
                    # request, the plain form of the same name): a slip after all.
                    asr = "slip"
                    counts["asr_slip"] += 1
                elif done:
                    counts["asr_error"] += 1
                    return self._asr_failure(goal, heard, heard_tags, fills, in_slot, main, rng)
                # Nothing could be mis-heard in a meaningful way: the turn goes on clean.
        if asr == "clean":
            asr_conf = _conf(rng, 0.55, 0.8) if rng.random() < 0.08 else _conf(rng, 0.8, 0.99)
        else:
            asr_conf = _conf(rng, 0.6, 0.9)
        return _Heard(heard, heard_tags, asr, asr_conf)

    def _resolve_and_answer(
        self,
        goal: Goal,
        understood: _Understood,
        fills: list[Fill],
        main: int,
        display: str,
        resolving: _Resolving,
        rng: random.Random,
    ) -> Outcome:
        """Entity resolution, then the result: the turn's outcome once the request was understood."""
        config, counts = self.config, self.counts
        entity = fills[main].entity if main >= 0 else goal.implicit
        meant = resolved = ""
        if entity is not None:
            heard = understood.heard.tokens
            specific = leaves_no_doubt(heard, entity, resolving.slot_types) if main >= 0 else resolving.known
            counts["entity_reached_specific" if specific else "entity_reached"] += 1
            meant = resolved = entity.value
            if self.assistant.misresolves(resolving.user, meant, specific):
                counts["entity_error_specific" if specific else "entity_error"] += 1
                others = self._catalogues.confusable(entity)
                # The same wrong one every time this person names it so.
                wrong = draw(self.assistant.seed, "resolved", resolving.user, meant, specific)
                resolved = others[int(wrong * len(others))].value
                if main >= 0:
                    understood.values[main] = resolved
                response = respond(understood.intent, resolved, rng, True)
                return understood.outcome("entity", "SUCCESS", response, resolved, meant)
            display = resolved
        counts["result_reached"] += 1
        if goal.unfulfillable:
            counts["unfulfillable"] += 1
            text = UNFULFILLABLE[int(rng.random() * len(UNFULFILLABLE))].format(v=display or "that")
            return understood.outcome("none", "NO_RESULT", text, resolved, meant)
        if rng.random() < config.result_error_rate:
            counts["result_error"] += 1
            status, text = RESULT_FAILURES[int(rng.random() * len(RESULT_FAILURES))]
            return understood.outcome("result", status, text, resolved, meant)
        response = respond(understood.intent, display, rng, bool(resolved))
        return understood.outcome("none", "SUCCESS", response, resolved, meant)

    def _mishears(self, accent: Accent, heard: list[str], tags: list[int], rng: random.Random) -> int:
        """The person's name mis-heard their usual way, in place (``habits.py``), where they say it:
        the slot it was in, or -1."""
        position = next((i for i, word in enumerate(heard) if word == accent.word and tags[i] >= 0), -1)
        if position < 0:
            return -1
        self.counts["accent_reached"] += 1
        if rng.random() >= self.config.accent_mishearing_rate:
            return -1
        self.counts["accent_error"] += 1
        slot = tags[position]
        heard[position : position + 1] = accent.heard
        tags[position : position + 1] = [slot] * len(accent.heard)
        return slot

    def _reads_alike(
        self,
        goal: Goal,
        heard: list[str],
        tags: list[int],
        slot_types: Sequence[str],
        fill: Fill | None,
        slot: int,
    ) -> bool:
        """Whether mis-heard words still read as the request: a carrier of its intent, and where the
        words of slot ``slot`` changed (its ``fill``), another way of naming the same entity."""
        key = carrier(heard, tags, slot_types, self.assistant.silent)
        if goal.intent not in self.assistant.carriers.get(key, ()):
            return False
        if fill is None:
            return True
        said = " ".join(word for word, tag in zip(heard, tags, strict=True) if tag == slot)
        return fill.entity is not None and said in (fill.entity.spoken, fill.entity.specific)

    def _asr_failure(
        self,
        goal: Goal,
        heard: list[str],
        tags: list[int],
        fills: list[Fill],
        in_slot: bool,
        main: int,
        rng: random.Random,
    ) -> Outcome:
        """The assistant acts on the mis-heard words: a wrong slot value, a wrong intent, or no match."""
        asr_conf = _conf(rng, 0.75, 0.9) if rng.random() < 0.1 else _conf(rng, 0.3, 0.75)
        misheard = _Heard(heard, tags, "error", asr_conf)
        if in_slot:
            # The right intent, but the slot value is what was heard, which nothing resolves to.
            heard_value = " ".join(t for t, g in zip(heard, tags, strict=True) if g == main)
            values = [f.value for f in fills]
            values[main] = heard_value
            if rng.random() < 0.5:
                text = NOT_FOUND[int(rng.random() * len(NOT_FOUND))].format(v=heard_value)
                status = "NO_RESULT"
            else:
                text, status = respond(goal.intent, heard_value, rng), "SUCCESS"
            return misheard.outcome(
                nlu_confidence=_conf(rng, 0.6, 0.95),
                failure="asr",
                intent=goal.intent,
                domain=goal.wording.domain,
                values=values,
                status=status,
                response=text,
            )
        if rng.random() < 0.45:
            return misheard.outcome(
                nlu_confidence=_conf(rng, 0.05, 0.35),
                failure="asr",
                intent=None,
                domain="unknown",
                values=None,
                status="NO_MATCH",
                response=NO_MATCH[int(rng.random() * len(NO_MATCH))],
            )
        wrong = self.nlu.misreading(" ".join(heard), goal.intent, rng)
        raw = [f.text for f in fills] if fills and rng.random() < 0.5 else None
        return misheard.outcome(
            nlu_confidence=_conf(rng, 0.3, 0.7),
            failure="asr",
            intent=wrong,
            domain=domain_of(wrong),
            values=raw,
            status="SUCCESS",
            response=respond(wrong, fills[main].text if main >= 0 else "", rng),
        )
