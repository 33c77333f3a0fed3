"""The output heads: small modules over word-piece states (slots) or contextual turn vectors."""

from __future__ import annotations

import torch
from torch import nn

# Score of impossible rephrase targets (later turns, padding); finite so that bf16 and softmax stay sane.
NEG_INF = -1e4


class Classifier(nn.Module):
    """Dropout, then a linear layer: per turn (intent, failure point, ...) or per word piece (slots)."""

    def __init__(self, width: int, classes: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(width, max(classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.linear(self.dropout(x))  # a module call is untyped (Any)
        return logits


class RephrasePointer(nn.Module):
    """Which earlier turn a turn restates, or none: a pointer over earlier turns plus a "none" option.

    The score of (turn i, earlier turn j) is a scaled dot product of projections of their contextual
    vectors plus a learned bias for the distance i - j (restatements are mostly of the turn just
    before); "none" is scored from turn i alone. Logits: (..., 1 + turns), index 0 = none, j + 1 = turn j.
    """

    def __init__(self, width: int, max_distance: int, dropout: float) -> None:
        super().__init__()
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.none = nn.Linear(width, 1)
        self.distance = nn.Embedding(max_distance + 1, 1)
        self.max_distance = max_distance
        self.dropout = nn.Dropout(dropout)
        self.scale = width**-0.5

    def forward(self, context: torch.Tensor, turn_mask: torch.Tensor) -> torch.Tensor:
        # context: (dialogues, turns, width); turn_mask: (dialogues, turns)
        context = self.dropout(context).float()
        turns = context.shape[1]
        scores = (
            self.query(context) @ self.key(context).transpose(1, 2) * self.scale
        )  # (dialogues, turns, turns)
        positions = torch.arange(turns, device=context.device)
        distance = positions[:, None] - positions[None, :]  # (turns, turns): i - j
        scores = scores + self.distance(distance.clamp(0, self.max_distance)).squeeze(
            -1
        )  # (turns, turns) bias
        allowed = (distance > 0)[None, :, :] & turn_mask[:, None, :]  # (dialogues, turns, turns)
        scores = scores.masked_fill(~allowed, NEG_INF)
        none = self.none(context)  # (dialogues, turns, 1)
        return torch.cat([none, scores], dim=-1)  # (dialogues, turns, 1 + turns)


class GoalSuccessHead(nn.Module):
    """Whether a goal segment succeeded, from the mean of its turns and its last turn (the outcome)."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.classifier = Classifier(2 * width, 2, dropout)

    def forward(
        self, context: torch.Tensor, dialogue: torch.Tensor, start: torch.Tensor, end: torch.Tensor
    ) -> torch.Tensor:
        # context: (dialogues, turns, width); one goal per entry of dialogue/start/end (end exclusive)
        if dialogue.numel() == 0:
            return context.new_zeros((0, 2))
        turns = context.shape[1]
        positions = torch.arange(turns, device=context.device)
        inside = (positions[None, :] >= start[:, None]) & (
            positions[None, :] < end[:, None]
        )  # (goals, turns)
        rows = context[dialogue]  # (goals, turns, width)
        weights = inside.to(rows.dtype).unsqueeze(-1)  # (goals, turns, 1)
        mean = (rows * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (goals, width)
        last = rows[
            torch.arange(len(dialogue), device=context.device), (end - 1).clamp(min=0)
        ]  # (goals, width)
        logits: torch.Tensor = self.classifier(torch.cat([mean, last], dim=-1))
        return logits


class EvidenceClassifier(nn.Module):
    """A classifier over the contextual turn vector and, beside it, a few evidence numbers read
    directly (a small layer of their own, so that a handful of strong numbers are not drowned by the
    hundreds of dimensions of the text as they are after the turn projection)."""

    def __init__(self, width: int, evidence: int, classes: int, dropout: float, hidden: int = 32) -> None:
        super().__init__()
        self.evidence = nn.Sequential(nn.Linear(evidence, hidden), nn.GELU())
        self.classifier = Classifier(width + hidden, classes, dropout)

    def forward(self, x: torch.Tensor, evidence: torch.Tensor) -> torch.Tensor:
        # x: (turns, width); evidence: (turns, evidence numbers)
        read = self.evidence(evidence.to(x.dtype))  # (turns, hidden)
        logits: torch.Tensor = self.classifier(torch.cat([x, read], dim=-1))
        return logits


def reading_agreement(intent_logits: torch.Tensor, assistant_intent: torch.Tensor) -> torch.Tensor:
    """Whether the model's own reading of the words agrees with the intent the assistant acted on:
    (turns, 4) = [the assistant's intent is one the model knows, the model's probability of it, the
    model's top probability, 1 if its best reading is the assistant's]. ``assistant_intent`` holds
    the index of the assistant's intent among the model's intents, -1 where it has none or another.
    The intent logits are detached: the failure point reads the intent head, it does not train it."""
    probabilities = torch.softmax(intent_logits.detach().float(), dim=-1)  # (turns, intents)
    known = assistant_intent >= 0  # (turns,)
    chosen = probabilities.gather(1, assistant_intent.clamp(min=0)[:, None]).squeeze(1)  # (turns,)
    top, best = probabilities.max(dim=-1)  # (turns,)
    return torch.stack(
        [known.float(), chosen * known, top, ((best == assistant_intent) & known).float()], dim=-1
    )


READING_SIZE = 4


class FailureStage(nn.Module):
    """The failure point's calibrated second stage: a small network over the turn's evidence (its
    numbers, the reading agreement) and the joint model's own failure point probabilities, fitted
    after the joint model on held-out turns with rare failure points weighted up (``fit``'s balance).

    Why a second stage: the evidence is a few numbers, and in the joint model's short training they
    barely move its failure point (entity F1 0.02 with the entity evidence among its inputs). Fitted
    apart, on features that cost nothing to compute once the joint model has run, it converges in a
    second; on held-out turns the joint model's probabilities are as reliable as they will be in use.
    Until fitted (``fitted`` is False) the joint model's own logits stand."""

    def __init__(self, inputs: int, classes: int, hidden: int = 32) -> None:
        super().__init__()
        self.classes = max(classes, 1)
        self.layers = nn.Sequential(nn.Linear(inputs, hidden), nn.GELU(), nn.Linear(hidden, self.classes))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.layers(inputs.float())
        return logits

    def fit(
        self, inputs: torch.Tensor, targets: torch.Tensor, balance: float = 1.0, steps: int = 300
    ) -> bool:
        """Fit on (turns, inputs) and their gold classes; returns whether it was fitted (it needs two
        classes and 20 turns). ``balance`` 1: each class weighs as much in all (a rare failure point
        counts as much as "none"); 0: each turn weighs the same; between: the weights to that power."""
        present = torch.unique(targets)
        if len(targets) < STAGE_LEAST_TURNS or len(present) < 2:
            return False
        counts = torch.bincount(targets, minlength=self.classes).float()
        weights = (
            torch.where(counts > 0, len(targets) / (len(present) * counts.clamp(min=1.0)), 0.0) ** balance
        )
        optimizer = torch.optim.AdamW(self.parameters(), lr=1e-2, weight_decay=1e-2)
        self.train()
        with torch.enable_grad():
            for _ in range(steps):
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(self(inputs), targets, weight=weights.clamp(max=20.0))
                loss.backward()  # type: ignore[no-untyped-call]  # torch's stub leaves it untyped
                optimizer.step()
        self.eval()
        fitted = self.fitted
        assert isinstance(fitted, torch.Tensor)  # a registered buffer
        fitted.fill_(True)
        return True


STAGE_LEAST_TURNS = 20
