"""The multi-task loss: one cross-entropy per head, each over the targets that have gold only.

A head without a single gold target in the batch contributes nothing, not even a zero that depends
on its parameters, so single-turn NLU corpora never push the dialogue heads anywhere.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models_app.ml.batching import Batch
from models_app.ml.model import ModelOutput
from models_app.ml.tokenization import IGNORE

SUPERVISED_HEADS = (
    "slots",
    "intent",
    "failure_point",
    "defect",
    "boundary",
    "rephrase",
    "goal_success",
    "preference_statement",
    "value_tags",
)


def _masked_ce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor | None:
    logits = logits.reshape(-1, logits.shape[-1])  # (items, classes)
    targets = targets.reshape(-1)  # (items,)
    if not bool((targets != IGNORE).any()):
        return None
    return F.cross_entropy(logits.float(), targets, ignore_index=IGNORE)


def head_targets(batch: Batch) -> dict[str, torch.Tensor | None]:
    return {
        "slots": batch.slot_tags,
        "intent": batch.intent,
        "failure_point": batch.failure_point,
        "defect": batch.defect,
        "boundary": batch.boundary,
        "rephrase": batch.rephrase,
        "goal_success": batch.goal_success,
        "preference_statement": batch.preference_statement,
        "value_tags": batch.value_tags,
    }


def multitask_loss(
    output: ModelOutput, batch: Batch, weights: dict[str, float] | None = None
) -> tuple[torch.Tensor | None, dict[str, float]]:
    """The weighted sum of the heads' losses (None when the batch has no gold at all) and each part."""
    weights = weights or {}
    total: torch.Tensor | None = None
    parts: dict[str, float] = {}
    for name, targets in head_targets(batch).items():
        logits = getattr(output, name)
        if logits is None or targets is None:  # a head this model does not have
            continue
        loss = _masked_ce(logits, targets)
        if loss is None:
            continue
        parts[name] = float(loss.detach())
        weighted = loss * weights.get(name, 1.0)
        total = weighted if total is None else total + weighted
    return total, parts


def pretraining_loss(output: ModelOutput, batch: Batch) -> torch.Tensor | None:
    """Real or swapped, per turn (the self-supervised task)."""
    if batch.swapped is None:
        return None
    return _masked_ce(output.swapped, batch.swapped)
