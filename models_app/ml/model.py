"""The label generation model: a pretrained text encoder per turn, a small transformer over the turns
of a dialogue, and one head per label kind.

Two stages, so that inference can batch turns across dialogues (sorted by length) for the expensive
encoder and then batch dialogues for the cheap context stage:
``encode_turns`` (text -> pooled turn text + slot logits) and ``contextualize`` + heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from models_app.ml.batching import Batch
from models_app.ml.config import ModelConfig
from models_app.ml.features import CATEGORICAL, FEEDBACK, TRISTATE, numerical_size
from models_app.ml.heads import (
    READING_SIZE,
    Classifier,
    EvidenceClassifier,
    FailureStage,
    GoalSuccessHead,
    RephrasePointer,
    reading_agreement,
)
from models_app.ml.preferences import STATEMENT_KEYS, VALUE_TAGS

if TYPE_CHECKING:
    from transformers import PreTrainedModel


@dataclass
class ModelOutput:
    slots: torch.Tensor  # (turns, pieces, slot tags)
    value_tags: torch.Tensor | None  # (turns, pieces, 3) the preference value's BIO tags, if the head exists
    preference_statement: torch.Tensor | None  # (turns, preference keys), if the head exists
    intent: torch.Tensor  # (turns, intents)
    failure_point: torch.Tensor  # (turns, 6)
    defect: torch.Tensor  # (turns, 2)
    boundary: torch.Tensor  # (turns, 3)
    rephrase: torch.Tensor  # (turns, 1 + max turns)
    swapped: torch.Tensor  # (turns, 2) pretraining: real or swapped
    context: torch.Tensor  # (dialogues, max turns, width)
    goal_success: torch.Tensor  # (goals, 2)


class TurnFeatures(nn.Module):
    """One vector per turn from its pooled text and its categorical and numerical log features."""

    def __init__(self, config: ModelConfig, text_width: int, inventories: dict[str, list[str]]) -> None:
        super().__init__()
        # Two reserved ids per vocabulary: 0 = missing, 1 = unseen in training.
        sizes = [len(inventories.get(name, [])) + 2 for name in CATEGORICAL]
        sizes += [len(TRISTATE), len(TRISTATE), len(FEEDBACK)]  # has_screen, barge_in, feedback
        self.embeddings = nn.ModuleList(nn.Embedding(size, config.categorical_dim) for size in sizes)
        self.numerical = nn.Linear(
            numerical_size(config.evidence_features, config.plausibility_features), config.numerical_dim
        )
        width = text_width + len(sizes) * config.categorical_dim + config.numerical_dim
        self.project = nn.Sequential(
            nn.Linear(width, config.context_width), nn.GELU(), nn.Dropout(config.dropout)
        )

    def forward(self, text: torch.Tensor, categorical: torch.Tensor, numerical: torch.Tensor) -> torch.Tensor:
        # text: (turns, text width); categorical: (turns, features); numerical: (turns, numerical_size(...))
        parts = [text] + [embed(categorical[:, i]) for i, embed in enumerate(self.embeddings)]
        parts.append(self.numerical(numerical.to(text.dtype)))
        projected: torch.Tensor = self.project(torch.cat(parts, dim=-1))  # (turns, context width)
        return projected


class DialogueContext(nn.Module):
    """A small bidirectional transformer over the turn vectors of each dialogue (labels depend on what
    came after a turn as much as before: a failure shows in the rephrase that follows)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.position = nn.Embedding(config.max_turns, config.context_width)
        layer = nn.TransformerEncoderLayer(
            d_model=config.context_width,
            nhead=config.context_heads,
            dim_feedforward=4 * config.context_width,
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        # enable_nested_tensor=False: the fast path would change results between train and eval.
        self.layers = nn.TransformerEncoder(layer, config.context_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.context_width)
        self.max_turns = config.max_turns

    def forward(self, turns: torch.Tensor, turn_mask: torch.Tensor) -> torch.Tensor:
        # turns: (dialogues, max turns, width); turn_mask: (dialogues, max turns)
        positions = torch.arange(turns.shape[1], device=turns.device).clamp(max=self.max_turns - 1)
        x = turns + self.position(positions)[None]  # (dialogues, max turns, width)
        x = self.layers(x, src_key_padding_mask=~turn_mask)
        normed: torch.Tensor = self.norm(x)
        return normed


class LabelModel(nn.Module):
    def __init__(
        self, config: ModelConfig, encoder: PreTrainedModel, inventories: dict[str, list[str]]
    ) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        width = config.context_width
        text_width = 2 * hidden  # first piece + mean of the utterance's pieces
        # Slots read each piece with the whole utterance beside it (the request decides the slot
        # type: "chill hits" is a playlist in AddToPlaylist, a song elsewhere).
        self.slots = Classifier(2 * hidden, len(inventories["slot_tags"]), config.dropout)
        self.features = TurnFeatures(config, text_width, inventories)
        self.context = DialogueContext(config)
        self.intent = Classifier(text_width + width, len(inventories["intents"]), config.dropout)
        failures = len(inventories["failure_points"])
        self.failure_evidence = config.failure_evidence
        self.failure_point: nn.Module = (
            EvidenceClassifier(
                width,
                numerical_size(config.evidence_features, config.plausibility_features) + READING_SIZE,
                failures,
                config.dropout,
            )
            if config.failure_evidence
            else Classifier(width, failures, config.dropout)
        )
        evidence_size = numerical_size(config.evidence_features, config.plausibility_features) + READING_SIZE
        self.failure_stage = (
            FailureStage(evidence_size + failures, failures) if config.failure_stage else None
        )
        # The assistant's intent (its categorical id: 0 missing, 1 unseen, i + 2 the i-th known) as an
        # index of the model's own intents, -1 where the model has no such intent. Derived from the
        # inventories, so not saved with the weights.
        intent_index = {name: i for i, name in enumerate(inventories["intents"])}
        assistant = [intent_index.get(name, -1) for name in inventories.get("assistant_intents", [])]
        self.register_buffer(
            "assistant_intent_index", torch.tensor([-1, -1, *assistant], dtype=torch.long), persistent=False
        )
        self.defect = Classifier(width, 2, config.dropout)
        self.boundary = Classifier(width, len(inventories["boundaries"]), config.dropout)
        self.rephrase = RephrasePointer(width, config.max_rephrase_distance, config.dropout)
        self.goal_success = GoalSuccessHead(width, config.dropout)
        self.swapped = Classifier(width, 2, config.dropout)
        # Statements of any preference (a model trained on sources that mark them; older checkpoints
        # have neither head): whether and under which open key a turn states one, and its value's words.
        self.slot_tag_count = len(inventories["slot_tags"])
        keys = inventories.get(STATEMENT_KEYS)
        self.preference_statement = (
            Classifier(text_width + width, len(keys), config.dropout) if keys else None
        )
        self.value_tags = Classifier(2 * hidden, len(VALUE_TAGS), config.dropout) if keys else None

    def encode_turns(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None,
        utterance_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled text vectors (turns, 2 * hidden) and per-piece logits (turns, pieces, tags): the slot
        tags, then, where the model has the head, the preference value's tags (``split_pieces``)."""
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        states = self.encoder(**inputs).last_hidden_state  # (turns, pieces, hidden)
        # The utterance's pieces; an empty utterance falls back to the whole sequence.
        weights = utterance_mask.to(states.dtype)
        empty = weights.sum(1, keepdim=True) == 0  # (turns, 1)
        weights = torch.where(empty, attention_mask.to(states.dtype), weights).unsqueeze(
            -1
        )  # (turns, pieces, 1)
        mean = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (turns, hidden)
        text = torch.cat([states[:, 0], mean], dim=-1)  # (turns, 2 * hidden)
        pieces = torch.cat(
            [states, mean[:, None, :].expand_as(states)], dim=-1
        )  # (turns, pieces, 2 * hidden)
        slots = self.slots(pieces)
        if self.value_tags is not None:
            slots = torch.cat([slots, self.value_tags(pieces)], dim=-1)  # (turns, pieces, tags + 3)
        return text, slots

    def split_pieces(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The per-piece logits of ``encode_turns`` as (slot tags, preference value tags or None)."""
        if self.value_tags is None:
            return logits, None
        return logits[..., : self.slot_tag_count], logits[..., self.slot_tag_count :]

    def contextualize(
        self,
        text: torch.Tensor,
        categorical: torch.Tensor,
        numerical: torch.Tensor,
        dialogue: torch.Tensor,
        position: torch.Tensor,
        turn_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Contextual turn vectors: padded (dialogues, max turns, width) and flat (turns, width)."""
        turns = self.features(text, categorical, numerical)  # (turns, width)
        padded = turns.new_zeros((*turn_mask.shape, turns.shape[-1]))  # (dialogues, max turns, width)
        padded[dialogue, position] = turns
        context = self.context(padded, turn_mask)  # (dialogues, max turns, width)
        return context, context[dialogue, position]

    def turn_heads(
        self,
        text: torch.Tensor,
        context: torch.Tensor,
        flat: torch.Tensor,
        dialogue: torch.Tensor,
        position: torch.Tensor,
        turn_mask: torch.Tensor,
        categorical: torch.Tensor,
        numerical: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        rephrase = self.rephrase(context, turn_mask)[dialogue, position]  # (turns, 1 + max turns)
        reading = torch.cat([text, flat.to(text.dtype)], dim=-1)  # (turns, text width + width)
        intent = self.intent(reading)  # (turns, intents)
        evidence = self.stage_evidence(numerical, categorical, intent)  # (turns, numerical + READING_SIZE)
        failure = self.failure_point(flat, evidence) if self.failure_evidence else self.failure_point(flat)
        if self.failure_stage is not None and bool(self.failure_stage.fitted):
            failure = self.failure_stage(self.stage_inputs(evidence, failure))
        heads = {
            "intent": intent,
            "failure_point": failure,
            "defect": self.defect(flat),
            "boundary": self.boundary(flat),
            "rephrase": rephrase,
            "swapped": self.swapped(flat),
        }
        if self.preference_statement is not None:
            heads["preference_statement"] = self.preference_statement(reading)
        return heads

    @staticmethod
    def stage_inputs(evidence: torch.Tensor, failure: torch.Tensor) -> torch.Tensor:
        """What the failure point's second stage reads: the evidence and the joint model's own
        failure point probabilities (detached: the stage is fitted apart)."""
        return torch.cat([evidence, torch.softmax(failure.detach().float(), dim=-1)], dim=-1)

    def stage_evidence(
        self, numerical: torch.Tensor, categorical: torch.Tensor, intent: torch.Tensor
    ) -> torch.Tensor:
        """The evidence numbers of turns as ``turn_heads`` reads them, from their features and the
        intent logits (the second stage is fitted on these)."""
        return torch.cat(
            [numerical.float(), reading_agreement(intent, self.assistant_intent_of(categorical))], dim=-1
        )

    def assistant_intent_of(self, categorical: torch.Tensor) -> torch.Tensor:
        """(turns,) the assistant's intent as an index of the model's intents, -1 where it has none."""
        index = self.assistant_intent_index
        assert isinstance(index, torch.Tensor)  # a registered buffer
        return index[categorical[:, CATEGORICAL.index("assistant_intents")].clamp(0, len(index) - 1)]

    def forward(self, batch: Batch) -> ModelOutput:
        text, pieces = self.encode_turns(
            batch.input_ids, batch.attention_mask, batch.token_type_ids, batch.utterance_mask
        )
        slots, value_tags = self.split_pieces(pieces)
        context, flat = self.contextualize(
            text, batch.categorical, batch.numerical, batch.dialogue, batch.position, batch.turn_mask
        )
        heads = self.turn_heads(
            text,
            context,
            flat,
            batch.dialogue,
            batch.position,
            batch.turn_mask,
            batch.categorical,
            batch.numerical,
        )
        success = self.goal_success(context, batch.goal_dialogue, batch.goal_start, batch.goal_end)
        statement = heads.pop("preference_statement", None)
        return ModelOutput(
            slots=slots,
            value_tags=value_tags,
            preference_statement=statement,
            context=context,
            goal_success=success,
            **heads,
        )
