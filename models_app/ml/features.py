"""Label inventories and the per-dialogue features the model reads (text ids, categorical, numerical).

A dialogue is featurized once (tokenization included) and batched many times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from models_app.ml.config import ModelConfig
from models_app.ml.data import FAILURE_POINTS, NOT_A_REPHRASE, DialogueExample, TurnInput
from models_app.ml.evidence import EVIDENCE_SIZE, entity_evidence
from models_app.ml.plausibility import NO_PLAUSIBILITY, PLAUSIBILITY_SIZE, WordModel
from models_app.ml.preferences import (
    STATEMENT_KEYS,
    VALUE_TAGS,
    preference_inventories,
    statement_inventories,
    statement_target,
    states_preferences,
    value_spans,
)
from models_app.ml.tokenization import (
    IGNORE,
    EncodedTurn,
    context_text,
    encode_texts,
    slot_tag_names,
    spans_to_tags,
)

BOUNDARY_TAGS = ("B", "I", "O")  # a goal starts here / continues / the turn is in no goal
# Categorical inputs; each is embedded with two reserved ids: 0 = missing, 1 = not seen in training.
CATEGORICAL = ("domains", "assistant_intents", "statuses", "device_types")
TRISTATE = {None: 0, False: 1, True: 2}
FEEDBACK = {None: 0, "positive": 1, "negative": 2}
NUMERICAL_SIZE = 10  # without the entity evidence and plausibility (ModelConfig)
MISSING, UNSEEN = 0, 1
_VALUE_TAG_INDEX = {name: position for position, name in enumerate(VALUE_TAGS)}


def build_inventories(examples: Sequence[DialogueExample]) -> dict[str, list[str]]:
    """Every label and input vocabulary of the training data, sorted so that a rerun gives the same ids."""
    intents: set[str] = set()
    slot_types: set[str] = set()
    inputs: dict[str, set[str]] = {name: set() for name in CATEGORICAL}
    for example in examples:
        if example.device_type:
            inputs["device_types"].add(example.device_type)
        for turn in example.turns:
            for name, value in (
                ("domains", turn.domain),
                ("assistant_intents", turn.intent),
                ("statuses", turn.status),
            ):
                if value:
                    inputs[name].add(value)
        for targets in example.targets or ():
            if targets.intent is not None:
                intents.add(targets.intent)
            for span in targets.slots or ():
                slot_types.add(span.type)
    inventories = {name: sorted(values) for name, values in inputs.items()}
    inventories["intents"] = sorted(intents)
    inventories["slot_types"] = sorted(slot_types)
    inventories["slot_tags"] = slot_tag_names(inventories["slot_types"])
    inventories["failure_points"] = list(FAILURE_POINTS)
    inventories["boundaries"] = list(BOUNDARY_TAGS)
    inventories.update(preference_inventories(examples))
    inventories.update(statement_inventories(examples))
    return inventories


def tasks_with_gold(examples: Sequence[DialogueExample]) -> list[str]:
    """The heads that have any gold in ``examples`` (the others are not trained)."""
    found: set[str] = set()
    for example in examples:
        if example.goals is not None:
            found.add("goals")
        if any(s is not None for s in example.goal_success or ()):
            found.add("goal_success")
        for targets in example.targets or ():
            for name in ("intent", "slots", "failure_point", "rephrase_of", "defect"):
                if getattr(targets, name) is not None:
                    found.add(name)
            if targets.preferences:
                # Read from the intent and slot heads, which must have gold too (models_app.ml.preferences).
                found.add("preferences")
            if targets.preferences is not None:
                # Statements of any preference: their own head and value tagger.
                found.add("preference_statement")
    if not {"intent", "slots"} <= found:
        found.discard("preferences")
    if "preference_statement" in found:
        found.add("preferences")
    order = (
        "intent",
        "slots",
        "failure_point",
        "rephrase_of",
        "defect",
        "goals",
        "goal_success",
        "preferences",
        "preference_statement",
    )
    return [name for name in order if name in found]


@dataclass
class FeaturizedDialogue:
    """Everything the model needs of one dialogue, as plain lists (batched by ``collate``)."""

    tokens: list[EncodedTurn]
    categorical: list[list[int]]  # per turn: ids of domain, assistant intent, status, device, screen, ...
    numerical: list[list[float]]  # per turn: numerical_size(...) values
    # Targets, IGNORE where there is no gold.
    slot_tags: list[list[int]]  # per turn, per word piece
    intent: list[int]
    failure_point: list[int]
    defect: list[int]
    rephrase: list[int]  # pointer: 0 = not a rephrase, j + 1 = a rephrase of turn j
    boundary: list[int]
    goals: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # (first turn, end turn, success or IGNORE)
    # Set in pretraining: 1 where the turn's response or the turn was swapped in from elsewhere.
    swapped: list[int] | None = None
    # Whether and what each turn states (an index of "preference_keys"), and the value's tags per piece.
    preference_statement: list[int] = field(default_factory=list)
    value_tags: list[list[int]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(len(turn.input_ids) for turn in self.tokens)


def numerical_size(evidence_features: bool, plausibility_features: bool = False) -> int:
    """Numerical inputs per turn: the log's numbers, then the entity evidence and the plausibility of
    the heard words where the model reads them."""
    return (
        NUMERICAL_SIZE
        + (EVIDENCE_SIZE if evidence_features else 0)
        + (PLAUSIBILITY_SIZE if plausibility_features else 0)
    )


def _index(values: list[str]) -> dict[str, int]:
    return {value: position for position, value in enumerate(values)}


def _categorical_id(value: str | None, index: dict[str, int]) -> int:
    if not value:
        return MISSING
    return index[value] + 2 if value in index else UNSEEN


def _numerical(turn: TurnInput) -> list[float]:
    """Scaled to about [0, 1], with a presence flag beside each value that may be missing."""

    def present(value: Any) -> float:
        return 0.0 if value is None else 1.0

    gap = turn.seconds_since_previous
    words = len(turn.utterance.split())
    return [
        turn.asr_confidence if turn.asr_confidence is not None else 0.0,
        present(turn.asr_confidence),
        turn.nlu_confidence if turn.nlu_confidence is not None else 0.0,
        present(turn.nlu_confidence),
        # Time gaps span seconds to days: a log scale tells a quick repeat from a new goal.
        math.log1p(max(gap, 0.0)) / 10.0 if gap is not None else 0.0,
        present(gap),
        math.log1p(words) / 4.0,
        1.0 if not turn.utterance.strip() else 0.0,
        1.0 if not turn.response.strip() else 0.0,
        math.log1p(len(turn.response.split())) / 4.0,
    ]


def boundary_targets(goals: list[list[int]] | None, turns: int) -> list[int]:
    if goals is None:
        return [IGNORE] * turns
    tags = [BOUNDARY_TAGS.index("O")] * turns
    for goal in goals:
        for position, turn in enumerate(goal):
            if 0 <= turn < turns:
                tags[turn] = BOUNDARY_TAGS.index("B" if position == 0 else "I")
    return tags


class Featurizer:
    """Turns DialogueExamples into FeaturizedDialogues with one tokenizer and one set of inventories."""

    def __init__(
        self,
        tokenizer: Any,
        inventories: dict[str, list[str]],
        max_tokens: int,
        context_fields: Sequence[str],
        evidence_features: bool = False,
        plausibility_features: bool = False,
        word_model: WordModel | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.evidence_features = evidence_features
        self.plausibility_features = plausibility_features
        self.word_model = word_model
        self.max_tokens = max_tokens
        self.context_fields = tuple(context_fields)
        self.inventories = inventories
        self.indexes = {name: _index(values) for name, values in inventories.items()}

    @classmethod
    def for_model(
        cls,
        tokenizer: Any,
        inventories: dict[str, list[str]],
        config: ModelConfig,
        word_model: WordModel | None = None,
    ) -> Featurizer:
        """The featurizer a model of ``config`` reads with (training and inference alike)."""
        return cls(
            tokenizer,
            inventories,
            config.max_tokens,
            config.context_fields,
            evidence_features=config.evidence_features,
            plausibility_features=config.plausibility_features,
            word_model=word_model,
        )

    def encode_turns(self, examples: Sequence[DialogueExample]) -> list[list[EncodedTurn]]:
        utterances, contexts, owners = [], [], []
        for number, example in enumerate(examples):
            for position, turn in enumerate(example.turns):
                utterances.append(turn.utterance)
                contexts.append(context_text(example.turns, position, self.context_fields))
                owners.append(number)
        encoded = encode_texts(self.tokenizer, utterances, contexts, self.max_tokens)
        grouped: list[list[EncodedTurn]] = [[] for _ in examples]
        for owner, encoded_turn in zip(owners, encoded, strict=True):
            grouped[owner].append(encoded_turn)
        return grouped

    def __call__(self, examples: Sequence[DialogueExample]) -> list[FeaturizedDialogue]:
        return [
            self.featurize(example, tokens)
            for example, tokens in zip(examples, self.encode_turns(examples), strict=True)
        ]

    def numerical(self, turn: TurnInput) -> list[float]:
        values = _numerical(turn)
        if self.evidence_features:
            values += entity_evidence(turn)
        if self.plausibility_features:
            # Without a word model every turn reads "not scored" (the first value), never "unlikely".
            values += self.word_model.features(turn.utterance) if self.word_model else NO_PLAUSIBILITY
        return values

    def featurize(self, example: DialogueExample, tokens: list[EncodedTurn]) -> FeaturizedDialogue:
        ix = self.indexes
        count = len(example.turns)
        categorical = [
            [
                _categorical_id(turn.domain, ix["domains"]),
                _categorical_id(turn.intent, ix["assistant_intents"]),
                _categorical_id(turn.status, ix["statuses"]),
                _categorical_id(example.device_type, ix["device_types"]),
                TRISTATE[example.has_screen],
                TRISTATE[turn.barge_in],
                FEEDBACK.get(turn.feedback, 0),
            ]
            for turn in example.turns
        ]
        targets = example.targets or [None] * count  # type: ignore[list-item]
        slot_tags, intent, failure, defect, rephrase = [], [], [], [], []
        statements, value_tags = self._statement_targets(example, tokens)
        for position, (turn_tokens, gold) in enumerate(zip(tokens, targets, strict=True)):
            if gold is not None and gold.slots is not None:
                slot_tags.append(spans_to_tags(gold.slots, turn_tokens, ix["slot_tags"]))
            else:
                slot_tags.append([IGNORE] * len(turn_tokens.input_ids))
            intent.append(
                ix["intents"].get(gold.intent, IGNORE) if gold and gold.intent is not None else IGNORE
            )
            failure.append(
                ix["failure_points"].get(gold.failure_point, IGNORE)
                if gold and gold.failure_point is not None
                else IGNORE
            )
            defect.append(int(gold.defect) if gold and gold.defect is not None else IGNORE)
            if gold is None or gold.rephrase_of is None:
                rephrase.append(IGNORE)
            elif gold.rephrase_of == NOT_A_REPHRASE:
                rephrase.append(0)
            else:
                # Only an earlier turn can be restated; anything else is unusable gold.
                rephrase.append(gold.rephrase_of + 1 if 0 <= gold.rephrase_of < position else IGNORE)
        goals = []
        for number, goal in enumerate(example.goals or ()):
            if not goal:
                continue
            success = (example.goal_success or [None] * len(example.goals or ()))[number]
            goals.append((min(goal), max(goal) + 1, IGNORE if success is None else int(success)))
        return FeaturizedDialogue(
            tokens=tokens,
            categorical=categorical,
            numerical=[self.numerical(turn) for turn in example.turns],
            slot_tags=slot_tags,
            intent=intent,
            failure_point=failure,
            defect=defect,
            rephrase=rephrase,
            boundary=boundary_targets(example.goals, count),
            goals=goals,
            preference_statement=statements,
            value_tags=value_tags,
        )

    def _statement_targets(
        self, example: DialogueExample, tokens: list[EncodedTurn]
    ) -> tuple[list[int], list[list[int]]]:
        """The statement head's class per turn and the value tagger's tags per piece; IGNORE where the
        model has no statement head or the turn's statement is unknown."""
        keys = self.indexes.get(STATEMENT_KEYS)
        marked = keys is not None and states_preferences(example)
        statements: list[int] = []
        tags: list[list[int]] = []
        for position, turn_tokens in enumerate(tokens):
            gold = example.targets[position] if example.targets else None
            preferences = gold.preferences if gold is not None else None
            if marked and preferences is None:
                preferences = []  # a source that marks statements marked none here
            target = statement_target(preferences, keys) if keys is not None else None
            spans = value_spans(preferences) if keys is not None else None
            statements.append(IGNORE if target is None else target)
            ignored = [IGNORE] * len(turn_tokens.input_ids)
            tags.append(ignored if spans is None else spans_to_tags(spans, turn_tokens, _VALUE_TAG_INDEX))
        return statements, tags
