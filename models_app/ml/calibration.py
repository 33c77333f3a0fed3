"""Temperature scaling, per head, on held-out logits (Guo et al., 2017): one scalar T per head such
that softmax(logits / T) has the lowest negative log-likelihood. It never changes an argmax, only
how far confidences can be trusted, so a confidence threshold trades coverage for precision."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from models_app.ml.features import FeaturizedDialogue
from models_app.ml.heads import NEG_INF
from models_app.ml.inference import DialogueLogits
from models_app.ml.tokenization import IGNORE

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 20.0


def nll(logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0) -> float:
    return float(F.cross_entropy(logits.float() / temperature, targets))


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor, steps: int = 100) -> float:
    """The temperature minimising the NLL of ``targets``; 1.0 when there is nothing to fit or it
    would not lower the NLL (so calibration never makes held-out likelihood worse)."""
    if len(targets) == 0:
        return 1.0
    logits = logits.detach().float()
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), targets)
        loss.backward()  # type: ignore[no-untyped-call]  # torch's stub leaves it untyped
        return loss

    with torch.enable_grad():
        optimizer.step(closure)  # type: ignore[no-untyped-call]  # torch leaves LBFGS.step untyped
    temperature = float(log_t.detach().exp().clamp(MIN_TEMPERATURE, MAX_TEMPERATURE))
    if math.isnan(temperature) or nll(logits, targets, temperature) > nll(logits, targets, 1.0):
        return 1.0
    return temperature


def _pad_columns(rows: list[torch.Tensor]) -> torch.Tensor:
    width = max(row.shape[-1] for row in rows)
    return torch.cat([F.pad(row, (0, width - row.shape[-1]), value=NEG_INF) for row in rows])


def calibration_data(
    logits: Sequence[DialogueLogits], dialogues: Sequence[FeaturizedDialogue]
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per head, the held-out logits that have gold and their targets (goal success on gold goals)."""
    collected: dict[str, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}

    def add(name: str, rows: torch.Tensor, targets: list[int]) -> None:
        target = torch.tensor(targets, dtype=torch.long)
        keep = target != IGNORE
        if bool(keep.any()):
            bucket = collected.setdefault(name, ([], []))
            bucket[0].append(rows[keep])
            bucket[1].append(target[keep])

    for out, dialogue in zip(logits, dialogues, strict=True):
        add("intent", out.intent, dialogue.intent)
        add("failure_point", out.failure_point, dialogue.failure_point)
        add("defect", out.defect, dialogue.defect)
        add("boundary", out.boundary, dialogue.boundary)
        add("rephrase", out.rephrase, dialogue.rephrase)
        for slots, tags in zip(out.slots, dialogue.slot_tags, strict=True):
            add("slots", slots, tags)
        if out.preference_statement is not None and dialogue.preference_statement:
            add("preference_statement", out.preference_statement, dialogue.preference_statement)
        for values, tags in zip(out.value_tags or (), dialogue.value_tags, strict=False):
            add("value_tags", values, tags)
        if out.goal_success is not None and len(out.goal_success):
            add("goal_success", out.goal_success, [success for _, _, success in dialogue.goals])
    return {name: (_pad_columns(rows), torch.cat(targets)) for name, (rows, targets) in collected.items()}


def fit_temperatures(
    logits: Sequence[DialogueLogits], dialogues: Sequence[FeaturizedDialogue]
) -> dict[str, float]:
    return {
        name: fit_temperature(rows, targets)
        for name, (rows, targets) in calibration_data(logits, dialogues).items()
    }
