"""Padding featurized dialogues into tensors, and grouping dialogues into batches of about N turns."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields

import torch

from models_app.ml.features import FeaturizedDialogue
from models_app.ml.tokenization import IGNORE


@dataclass
class Batch:
    """A batch of dialogues; turn-level tensors are flat over all turns of all dialogues (N turns)."""

    input_ids: torch.Tensor  # (turns, pieces)
    attention_mask: torch.Tensor  # (turns, pieces)
    token_type_ids: torch.Tensor | None  # (turns, pieces), for encoders that have them
    utterance_mask: torch.Tensor  # (turns, pieces) bool: pieces of the utterance
    categorical: torch.Tensor  # (turns, categorical features)
    numerical: torch.Tensor  # (turns, numerical features)
    dialogue: torch.Tensor  # (turns,) which dialogue of the batch each turn is in
    position: torch.Tensor  # (turns,) its position in that dialogue
    turn_mask: torch.Tensor  # (dialogues, max turns) bool: real turns
    slot_tags: torch.Tensor  # (turns, pieces)
    intent: torch.Tensor  # (turns,)
    failure_point: torch.Tensor  # (turns,)
    defect: torch.Tensor  # (turns,)
    rephrase: torch.Tensor  # (turns,) pointer targets: 0 none, j + 1 turn j
    boundary: torch.Tensor  # (turns,)
    goal_dialogue: torch.Tensor  # (goals,)
    goal_start: torch.Tensor  # (goals,)
    goal_end: torch.Tensor  # (goals,) exclusive
    goal_success: torch.Tensor  # (goals,)
    swapped: torch.Tensor | None  # (turns,) pretraining targets
    preference_statement: torch.Tensor | None = None  # (turns,) index of preference_keys
    value_tags: torch.Tensor | None = None  # (turns, pieces) the preference value's BIO tags

    def to(self, device: torch.device | str) -> Batch:
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in moved.items():
            if isinstance(value, torch.Tensor):
                moved[name] = value.to(device)
        return Batch(**moved)


def collate(dialogues: Sequence[FeaturizedDialogue], pad_id: int) -> Batch:
    turns = [turn for dialogue in dialogues for turn in dialogue.tokens]
    width = max(len(turn.input_ids) for turn in turns)
    count = len(turns)
    input_ids = torch.full((count, width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((count, width), dtype=torch.long)
    has_types = turns[0].token_type_ids is not None
    token_type_ids = torch.zeros((count, width), dtype=torch.long) if has_types else None
    utterance_mask = torch.zeros((count, width), dtype=torch.bool)
    slot_tags = torch.full((count, width), IGNORE, dtype=torch.long)
    value_tags = torch.full((count, width), IGNORE, dtype=torch.long)
    flat_tags = [tags for dialogue in dialogues for tags in dialogue.slot_tags]
    # A dialogue featurized without statement targets (a model with no statement head) has none.
    flat_values = [
        tags for dialogue in dialogues for tags in (dialogue.value_tags or [[]] * len(dialogue.tokens))
    ]
    for row, (turn, tags, values) in enumerate(zip(turns, flat_tags, flat_values, strict=True)):
        length = len(turn.input_ids)
        input_ids[row, :length] = torch.tensor(turn.input_ids)
        attention_mask[row, :length] = 1
        if token_type_ids is not None and turn.token_type_ids is not None:
            token_type_ids[row, :length] = torch.tensor(turn.token_type_ids)
        utterance_mask[row, :length] = torch.tensor(turn.in_utterance)
        slot_tags[row, :length] = torch.tensor(tags)
        if values:
            value_tags[row, :length] = torch.tensor(values)
    most_turns = max(len(dialogue.tokens) for dialogue in dialogues)
    turn_mask = torch.zeros((len(dialogues), most_turns), dtype=torch.bool)
    dialogue_ids, positions = [], []
    for number, dialogue in enumerate(dialogues):
        turn_mask[number, : len(dialogue.tokens)] = True
        dialogue_ids += [number] * len(dialogue.tokens)
        positions += list(range(len(dialogue.tokens)))
    goals = [(number, *goal) for number, dialogue in enumerate(dialogues) for goal in dialogue.goals]

    def flat(name: str) -> torch.Tensor:
        return torch.tensor(
            [value for dialogue in dialogues for value in getattr(dialogue, name)], dtype=torch.long
        )

    swapped = None
    if all(dialogue.swapped is not None for dialogue in dialogues):
        swapped = flat("swapped")
    statements = torch.tensor(
        [
            value
            for dialogue in dialogues
            for value in (dialogue.preference_statement or [IGNORE] * len(dialogue.tokens))
        ],
        dtype=torch.long,
    )
    goal_columns = list(zip(*goals, strict=True)) if goals else [(), (), (), ()]
    return Batch(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        utterance_mask=utterance_mask,
        categorical=torch.tensor([row for d in dialogues for row in d.categorical], dtype=torch.long),
        numerical=torch.tensor([row for d in dialogues for row in d.numerical], dtype=torch.float),
        dialogue=torch.tensor(dialogue_ids, dtype=torch.long),
        position=torch.tensor(positions, dtype=torch.long),
        turn_mask=turn_mask,
        slot_tags=slot_tags,
        intent=flat("intent"),
        failure_point=flat("failure_point"),
        defect=flat("defect"),
        rephrase=flat("rephrase"),
        boundary=flat("boundary"),
        goal_dialogue=torch.tensor(goal_columns[0], dtype=torch.long),
        goal_start=torch.tensor(goal_columns[1], dtype=torch.long),
        goal_end=torch.tensor(goal_columns[2], dtype=torch.long),
        goal_success=torch.tensor(goal_columns[3], dtype=torch.long),
        swapped=swapped,
        preference_statement=statements,
        value_tags=value_tags,
    )


def batches_by_turns(
    dialogues: Sequence[FeaturizedDialogue], turns_per_batch: int, rng: random.Random | None, bucket: int = 50
) -> Iterator[list[int]]:
    """Indices of dialogues, packed until a batch holds ``turns_per_batch`` turns.

    With ``rng``: shuffled, then sorted by length inside buckets of ``bucket`` batches (less padding,
    still random), batches shuffled. Without: in order of length (inference and validation).
    """
    order = list(range(len(dialogues)))
    if rng is None:
        order.sort(key=lambda i: dialogues[i].length)
        yield from _pack(order, dialogues, turns_per_batch)
        return
    rng.shuffle(order)
    chunk = max(turns_per_batch * bucket // 3, 1)  # about `bucket` batches of ~3-turn dialogues
    packed: list[list[int]] = []
    for begin in range(0, len(order), chunk):
        part = sorted(
            order[begin : begin + chunk], key=lambda i: max(len(t.input_ids) for t in dialogues[i].tokens)
        )
        packed += list(_pack(part, dialogues, turns_per_batch))
    rng.shuffle(packed)
    yield from packed


def _pack(
    order: list[int], dialogues: Sequence[FeaturizedDialogue], turns_per_batch: int
) -> Iterator[list[int]]:
    current: list[int] = []
    turns = 0
    for index in order:
        current.append(index)
        turns += len(dialogues[index].tokens)
        if turns >= turns_per_batch:
            yield current
            current, turns = [], 0
    if current:
        yield current
