"""Running the model over many dialogues fast: turns of all dialogues are encoded together, sorted by
length (little padding), then dialogues are contextualized in batches. Returns raw logits per
dialogue, which decoding (predictions) and calibration (temperatures) both read."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from models_app.ml.batching import collate
from models_app.ml.features import BOUNDARY_TAGS, FeaturizedDialogue
from models_app.ml.model import LabelModel

# Turns per dialogue-stage batch (the context transformer is cheap; this only bounds memory).
CONTEXT_BATCH_TURNS = 512


@dataclass
class DialogueLogits:
    """Raw logits of one dialogue (float32, on the CPU)."""

    slots: list[torch.Tensor]  # per turn: (pieces, slot tags)
    intent: torch.Tensor  # (turns, intents)
    failure_point: torch.Tensor  # (turns, 6)
    defect: torch.Tensor  # (turns, 2)
    boundary: torch.Tensor  # (turns, 3)
    rephrase: torch.Tensor  # (turns, 1 + turns): index 0 none, j + 1 turn j
    goals: list[tuple[int, int]] = field(default_factory=list)  # segments that goal_success scores
    goal_success: torch.Tensor | None = None  # (goals, 2)
    preference_statement: torch.Tensor | None = None  # (turns, preference keys)
    value_tags: list[torch.Tensor] | None = None  # per turn: (pieces, 3), the preference value's tags


def segments_from_boundaries(tags: Sequence[int]) -> list[tuple[int, int]]:
    """Goal segments (start, end exclusive) from B/I/O per turn; an I with no open goal starts one."""
    begin, inside, outside = (BOUNDARY_TAGS.index(t) for t in ("B", "I", "O"))
    segments: list[tuple[int, int]] = []
    start: int | None = None
    for position, tag in enumerate(tags):
        if tag == outside:
            if start is not None:
                segments.append((start, position))
            start = None
        elif tag == begin or (tag == inside and start is None):
            if start is not None:
                segments.append((start, position))
            start = position
    if start is not None:
        segments.append((start, len(tags)))
    return segments


def autocast_context(precision: str) -> contextlib.AbstractContextManager[object]:
    if precision == "bf16":
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.inference_mode()
def run_model(
    model: LabelModel,
    dialogues: Sequence[FeaturizedDialogue],
    pad_id: int,
    batch_size: int = 64,
    precision: str = "fp32",
    gold_segments: bool = False,
) -> list[DialogueLogits]:
    """Logits for every dialogue, in input order. ``gold_segments``: score goal success on the gold
    goals (calibration) instead of the predicted ones."""
    model.eval()
    flat = [(d, t) for d, dialogue in enumerate(dialogues) for t in range(len(dialogue.tokens))]
    flat.sort(key=lambda item: len(dialogues[item[0]].tokens[item[1]].input_ids))
    hidden = None
    text_of: dict[tuple[int, int], torch.Tensor] = {}
    slots_of: dict[tuple[int, int], torch.Tensor] = {}
    values_of: dict[tuple[int, int], torch.Tensor] = {}
    for begin in range(0, len(flat), batch_size):
        chunk = flat[begin : begin + batch_size]
        # A one-turn "dialogue" per turn lets collate pad the word pieces.
        singles = [_single_turn(dialogues[d], t) for d, t in chunk]
        batch = collate(singles, pad_id)
        with autocast_context(precision):
            text, pieces = model.encode_turns(
                batch.input_ids, batch.attention_mask, batch.token_type_ids, batch.utterance_mask
            )
        slots, values = model.split_pieces(pieces.float())
        text = text.float()
        hidden = text.shape[-1]
        for row, key in enumerate(chunk):
            length = len(dialogues[key[0]].tokens[key[1]].input_ids)
            text_of[key] = text[row]
            slots_of[key] = slots[row, :length]
            if values is not None:
                values_of[key] = values[row, :length]
    results: list[DialogueLogits | None] = [None] * len(dialogues)
    for d, dialogue in enumerate(dialogues):
        if not dialogue.tokens:  # a dialogue without turns has nothing to score
            empty = torch.zeros((0, 0))
            results[d] = DialogueLogits([], empty, empty, empty, empty, empty, [], torch.zeros((0, 2)))
    order = sorted(
        (d for d in range(len(dialogues)) if dialogues[d].tokens), key=lambda d: len(dialogues[d].tokens)
    )
    group: list[int] = []
    turns = 0
    for position, d in enumerate(order):
        group.append(d)
        turns += len(dialogues[d].tokens)
        if turns >= CONTEXT_BATCH_TURNS or position == len(order) - 1:
            _context_stage(
                model,
                dialogues,
                group,
                text_of,
                slots_of,
                values_of,
                hidden or 1,
                pad_id,
                precision,
                gold_segments,
                results,
            )
            group, turns = [], 0
    return [result for result in results if result is not None]


def _single_turn(dialogue: FeaturizedDialogue, turn: int) -> FeaturizedDialogue:
    return FeaturizedDialogue(
        tokens=[dialogue.tokens[turn]],
        categorical=[dialogue.categorical[turn]],
        numerical=[dialogue.numerical[turn]],
        slot_tags=[dialogue.slot_tags[turn]],
        intent=[0],
        failure_point=[0],
        defect=[0],
        rephrase=[0],
        boundary=[0],
    )


def _context_stage(
    model: LabelModel,
    dialogues: Sequence[FeaturizedDialogue],
    group: list[int],
    text_of: dict[tuple[int, int], torch.Tensor],
    slots_of: dict[tuple[int, int], torch.Tensor],
    values_of: dict[tuple[int, int], torch.Tensor],
    hidden: int,
    pad_id: int,
    precision: str,
    gold_segments: bool,
    results: list[DialogueLogits | None],
) -> None:
    members = [dialogues[d] for d in group]
    most = max(len(m.tokens) for m in members)
    turn_mask = torch.zeros((len(members), most), dtype=torch.bool)
    dialogue_ids, positions, texts, categorical, numerical = [], [], [], [], []
    for number, (d, member) in enumerate(zip(group, members, strict=True)):
        turn_mask[number, : len(member.tokens)] = True
        for t in range(len(member.tokens)):
            dialogue_ids.append(number)
            positions.append(t)
            texts.append(text_of[(d, t)])
            categorical.append(member.categorical[t])
            numerical.append(member.numerical[t])
    dialogue = torch.tensor(dialogue_ids, dtype=torch.long)
    position = torch.tensor(positions, dtype=torch.long)
    text = torch.stack(texts) if texts else torch.zeros((0, hidden))  # (turns, 2 * hidden)
    categorical_tensor = torch.tensor(categorical, dtype=torch.long)
    numerical_tensor = torch.tensor(numerical, dtype=torch.float)
    with autocast_context(precision):
        context, flat = model.contextualize(
            text, categorical_tensor, numerical_tensor, dialogue, position, turn_mask
        )
        heads = model.turn_heads(
            text, context, flat, dialogue, position, turn_mask, categorical_tensor, numerical_tensor
        )
        heads = {name: value.float() for name, value in heads.items()}
        segments: list[list[tuple[int, int]]] = []
        offset = 0
        for member in members:
            count = len(member.tokens)
            if gold_segments:
                segments.append([(start, end) for start, end, _ in member.goals])
            else:
                tags = heads["boundary"][offset : offset + count].argmax(-1).tolist()
                segments.append(segments_from_boundaries(tags))
            offset += count
        goal_rows = [(n, s, e) for n, segs in enumerate(segments) for s, e in segs]
        if goal_rows:
            columns = [torch.tensor(column, dtype=torch.long) for column in zip(*goal_rows, strict=True)]
            success = model.goal_success(context, *columns).float()
        else:
            success = torch.zeros((0, 2))
    offset = goal_offset = 0
    for number, (d, member) in enumerate(zip(group, members, strict=True)):
        count = len(member.tokens)
        rows = slice(offset, offset + count)
        goals = segments[number]
        results[d] = DialogueLogits(
            slots=[slots_of[(d, t)] for t in range(count)],
            intent=heads["intent"][rows],
            failure_point=heads["failure_point"][rows],
            defect=heads["defect"][rows],
            boundary=heads["boundary"][rows],
            rephrase=heads["rephrase"][rows, : count + 1],
            goals=goals,
            goal_success=success[goal_offset : goal_offset + len(goals)],
            preference_statement=(
                heads["preference_statement"][rows] if "preference_statement" in heads else None
            ),
            value_tags=[values_of[(d, t)] for t in range(count)] if values_of else None,
        )
        offset += count
        goal_offset += len(goals)
