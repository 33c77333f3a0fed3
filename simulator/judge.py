"""The replay's judge: would the simulated assistant have served this request, said in other words?

A logged request carries its truth (``metadata.truth``: the goal's intent, slot values and implicit
preference, and which assistant read it). The judge bypasses the recogniser (the words given replace
what was heard) and runs the rest of the assistant (``assistant.py``) on them:

1. **slots**: every value of the person's request must be in the words, said as the person or the
   catalogue says it ("springfield", "springfield missouri"); a catalogue name the request does not
   have means the assistant would act on something else;
2. **NLU**: the carrier around those values must be one the assistant reads as the person's intent;
3. **entity resolution**: the first value it resolves, as said here, must resolve to what was meant
   (for this person; left implicit, their preference);
4. **result**: nobody could do it (then the assistant says so, which is right), or the back end as it
   was at that moment: as logged where the turn got that far, else drawn once for the turn.

Served means the turn would not have been a defect. The judge agrees with the log on what the log
shows: a served turn's own words are served, a misread one's are misread (``tests/simulator``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.asr import Asr
from simulator.assistant import Assistant, carrier, leaves_no_doubt, words
from simulator.catalogues import Catalogues, Entity
from simulator.config import SimConfig
from simulator.corpora import load_all
from simulator.nlu import WeakNlu
from simulator.pools import Pools
from simulator.requests import EXPLICIT_SLOT  # where a rewrite naming an implicit preference puts it

MAX_PLACEMENTS = 64  # ways of placing the values in the words tried before taking the first


@dataclass(frozen=True)
class Request:
    """A logged request as the judge needs it."""

    dialogue_id: str
    turn_id: str
    user: str
    said: str  # the words the assistant heard
    intent: str
    slots: tuple[tuple[str, str], ...]  # (type, value) in the goal's order
    entity_slots: frozenset[str]  # types whose values the assistant resolves as entities
    implicit: str | None  # a value the request left to the person's preference
    known: bool  # the assistant had been taught that preference when the goal began
    unfulfillable: bool
    through_pipeline: bool  # a request the pipeline answered (not a reaction, a teaching, a stop)
    backend_failed: bool | None  # the result stage, where the turn reached it
    assistant: tuple[tuple[str, float], ...]  # the assistant's seed and rates (``Assistant.knobs``)


@dataclass(frozen=True)
class Verdict:
    served: bool
    stage: str  # "none" when served, else where it failed: slots, nlu, entity, result
    carrier: str = ""  # what the NLU read, where it got that far
    entity: tuple[str, bool] | None = None  # the entity it resolved and whether named without doubt


def logged_requests(dialogue: Mapping[str, Any]) -> dict[str, Request]:
    """Each goal's first turn and every later attempt at it (a rephrase or repeat), by turn id; none
    for a dialogue without the simulator's truth."""
    metadata = dialogue.get("metadata") or {}
    truth = metadata.get("truth") or {}
    knobs = truth.get("assistant")
    if not isinstance(knobs, Mapping):
        return {}
    labels = dialogue.get("labels") or {}
    turn_labels = labels.get("turns") or {}
    heard = {str(turn.get("id")): str(turn.get("utterance") or "") for turn in dialogue.get("turns") or []}
    found: dict[str, Request] = {}
    for goal, goal_truth in zip(labels.get("goals") or [], truth.get("goals") or [], strict=False):
        turns = [str(t) for t in goal.get("turns") or []]
        taught = False  # a preference stated within the goal (a teachable moment) holds from then on
        for position, turn_id in enumerate(turns):
            label = turn_labels.get(turn_id) or {}
            taught = taught or bool(label.get("preferences"))
            if position and not label.get("rephrase_of"):
                continue
            point = label.get("failure_point")
            found[turn_id] = Request(
                dialogue_id=str(dialogue.get("id") or ""),
                turn_id=turn_id,
                user=str(dialogue.get("user_id") or ""),
                said=heard.get(turn_id, ""),
                intent=str(goal_truth.get("intent") or ""),
                slots=tuple(
                    (str(kind), str(value))
                    for kind, values in (goal_truth.get("slots") or {}).items()
                    for value in values
                ),
                entity_slots=frozenset(goal_truth.get("entity_slots") or ()),
                implicit=goal_truth.get("implicit"),
                known=bool(goal_truth.get("known")) or taught,
                unfulfillable=bool(goal_truth.get("unfulfillable")),
                through_pipeline="unfulfillable" in goal_truth,
                backend_failed={"result": True, "none": False}.get(str(point)),
                assistant=tuple(sorted((str(k), float(v)) for k, v in knobs.items())),
            )
    return found


@dataclass(frozen=True)
class _Placed:
    start: int
    end: int
    kind: str  # slot type
    value: str
    entity: Entity | None


class Judge:
    """The simulated assistant asked about other words (see the module's docstring). Built once: the
    pools, the recogniser's vocabulary and the classifier the assistant reads with."""

    def __init__(self, pools: Pools, asr: Asr, nlu: WeakNlu, catalogues: Catalogues) -> None:
        self.pools, self.asr, self.nlu, self.catalogues = pools, asr, nlu, catalogues
        self._assistants: dict[tuple[tuple[str, float], ...], Assistant] = {}
        self._by_value: dict[str, Entity] = {}
        for entities in catalogues.by_kind.values():
            for entity in entities:
                self._by_value.setdefault(entity.value, entity)
        # The names people say for each kind of entity: a rewrite of a request that left a city or a
        # team to the person's preference must not name another one.
        self._names: dict[str, set[tuple[str, ...]]] = {}
        for entity in self._by_value.values():
            self._names.setdefault(entity.kind, set()).update(
                tuple(form.split()) for form in (entity.spoken, entity.specific)
            )

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Judge:
        """The judge over the corpora the simulator reads (``--data-dir``; default as the simulator's)."""
        from simulator.dialogues import default_data_dir

        corpora = load_all(data_dir or default_data_dir())
        pools = Pools(corpora)
        return cls(pools, Asr(pools.vocabulary()), WeakNlu.from_corpora(corpora), Catalogues())

    def assistant(self, knobs: tuple[tuple[str, float], ...]) -> Assistant:
        cached = self._assistants.get(knobs)
        if cached is None:
            values = dict(knobs)
            config = SimConfig(
                assistant_seed=int(values.get("seed", 1)),
                nlu_error_rate=values.get("nlu_error_rate", SimConfig.nlu_error_rate),
                entity_error_rate=values.get("entity_error_rate", SimConfig.entity_error_rate),
                specific_entity_factor=values.get("specific_entity_factor", SimConfig.specific_entity_factor),
                result_error_rate=values.get("result_error_rate", SimConfig.result_error_rate),
            )
            cached = self._assistants[knobs] = Assistant(config, self.pools, self.asr, self.nlu)
        return cached

    def entity(self, value: str) -> Entity | None:
        """The catalogue entity whose resolved value this is."""
        return self._by_value.get(value)

    def serves(self, request: Request, text: str) -> Verdict:
        """Whether the assistant, hearing ``text`` instead, would have served ``request``."""
        tokens = words(text)
        if not tokens:
            return Verdict(False, "slots")
        placed = self._place(request, tokens) if request.through_pipeline else []
        assistant = self.assistant(request.assistant)
        if not request.through_pipeline:
            # Reactions, teachings and stops are never misread, and nothing else is known of them:
            # served as said (silent words aside), not served otherwise.
            same = _carrier(tokens, [], assistant) == _carrier(words(request.said), [], assistant)
            return Verdict(same, "none" if same else "nlu")
        if placed is None or self._names_another(request, tokens, placed):
            return Verdict(False, "slots")
        key = _carrier(tokens, placed, assistant)
        if not assistant.reads(request.intent, key):
            return Verdict(False, "nlu", key)
        entity = self._resolved(request, tokens, placed)
        if entity is not None and assistant.misresolves(request.user, *entity):
            return Verdict(False, "entity", key, entity)
        if request.unfulfillable:
            return Verdict(True, "none", key, entity)
        failed = request.backend_failed
        if failed is None:
            failed = assistant.backend_fails(request.dialogue_id, request.turn_id)
        return Verdict(not failed, "result" if failed else "none", key, entity)

    # --- the values in the words -----------------------------------------------------------------
    def _forms(self, value: str) -> list[tuple[str, ...]]:
        """How a value may be said: a catalogue's entity without doubt or plainly, and as it is."""
        entity = self._by_value.get(value)
        forms = [entity.specific, entity.spoken] if entity is not None else []
        forms.append(" ".join(words(value)))
        return [tuple(form.split()) for form in dict.fromkeys(forms) if form]

    def _wanted(self, request: Request) -> list[tuple[str, str, Entity | None, list[tuple[str, ...]]]]:
        wanted = []
        for kind, value in request.slots:
            entity = self._by_value.get(value) if kind in request.entity_slots else None
            wanted.append((kind, value, entity, self._forms(value)))
        return wanted

    def _place(self, request: Request, tokens: Sequence[str]) -> list[_Placed] | None:
        """Where the request's values are in the words (None when one is missing); where the words
        allow several placements, the first whose carrier the assistant knows for the intent, the
        longer way of naming a value first ("the chill hits playlist" before "chill hits")."""
        wanted = self._wanted(request)
        choices: list[list[_Placed | None]] = [
            list(_occurrences(tokens, kind, value, entity, forms)) for kind, value, entity, forms in wanted
        ]
        if any(not options for options in choices):
            return None
        implicit = self._implicit_entity(request)
        if implicit is not None and not request.slots:
            kind = EXPLICIT_SLOT.get(implicit.kind, implicit.kind)
            forms = self._forms(implicit.value)
            named: list[_Placed | None] = list(_occurrences(tokens, kind, implicit.value, implicit, forms))
            choices.append(named or [None])
        assistant = self.assistant(request.assistant)
        first = None
        for tried, placement in enumerate(_placements(choices)):
            if request.intent in assistant.carriers.get(_carrier(tokens, placement, assistant), ()):
                return placement
            first = first or placement
            if tried >= MAX_PLACEMENTS:
                break
        return first

    def _implicit_entity(self, request: Request) -> Entity | None:
        return self._by_value.get(request.implicit) if request.implicit else None

    def _names_another(self, request: Request, tokens: Sequence[str], placed: Sequence[_Placed]) -> bool:
        """Whether the words name another entity of the kind the request left to a preference."""
        implicit = self._implicit_entity(request)
        if implicit is None:
            return False
        taken = {position for slot in placed for position in range(slot.start, slot.end)}
        for name in self._names.get(implicit.kind, ()):
            width = len(name)
            for start in range(len(tokens) - width + 1):
                if tuple(tokens[start : start + width]) == name and taken.isdisjoint(
                    range(start, start + width)
                ):
                    return True
        return False

    def _resolved(
        self, request: Request, tokens: Sequence[str], placed: Sequence[_Placed]
    ) -> tuple[str, bool] | None:
        """What entity resolution works on, as the pipeline runs it: the first value it resolves, in
        the words' order, else the implicit preference; with whether it is named without doubt."""
        kinds = [slot.kind for slot in placed]
        for slot in sorted(placed, key=lambda s: s.start):
            if slot.entity is not None:
                return slot.entity.value, leaves_no_doubt(tokens, slot.entity, kinds)
        implicit = self._implicit_entity(request)
        return None if implicit is None else (implicit.value, request.known)


def _occurrences(
    tokens: Sequence[str], kind: str, value: str, entity: Entity | None, forms: Sequence[tuple[str, ...]]
) -> Iterator[_Placed]:
    for form in forms:
        width = len(form)
        for start in range(len(tokens) - width + 1):
            if tuple(tokens[start : start + width]) == form:
                yield _Placed(start, start + width, kind, value, entity)


def _placements(choices: Sequence[Sequence[_Placed | None]]) -> Iterator[list[_Placed]]:
    """Every way of taking one occurrence per value without two overlapping, in order."""

    def extend(index: int, taken: list[_Placed]) -> Iterator[list[_Placed]]:
        if index == len(choices):
            yield list(taken)
            return
        for option in choices[index]:
            if option is None:
                yield from extend(index + 1, taken)
                continue
            if any(option.start < other.end and other.start < option.end for other in taken):
                continue
            taken.append(option)
            yield from extend(index + 1, taken)
            taken.pop()

    return extend(0, [])


def _carrier(tokens: Sequence[str], placed: Sequence[_Placed], assistant: Assistant) -> str:
    ordered = sorted(placed, key=lambda s: s.start)
    tags = [-1] * len(tokens)
    for index, slot in enumerate(ordered):
        for position in range(slot.start, slot.end):
            tags[position] = index
    return carrier(tokens, tags, [slot.kind for slot in ordered], assistant.silent)


@functools.cache
def default_judge() -> Judge:
    """The judge over the default corpora, built once per process (loading them takes seconds)."""
    return Judge.load()
