"""Loading a checkpoint once and labelling many dialogues fast.

Speed: turns of all dialogues are tokenized in one call, encoded in length-sorted batches (little
padding) under ``torch.inference_mode()``, optionally with bf16 autocast or int8 dynamic
quantisation of every ``nn.Linear`` (the encoder's included).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models_app.ml.checkpoint import TrainedModel, load_trained
from models_app.ml.data import DialogueExample, DialoguePrediction
from models_app.ml.decoding import decode
from models_app.ml.explain import failure_evidence
from models_app.ml.features import FeaturizedDialogue, Featurizer
from models_app.ml.inference import DialogueLogits, run_model

PRECISIONS = ("fp32", "bf16", "int8")


@dataclass(frozen=True)
class Encoded:
    """What the model computed for some dialogues, not yet read as labels (``decode_with``)."""

    examples: Sequence[DialogueExample]
    features: list[FeaturizedDialogue]
    logits: list[DialogueLogits]


def encode_with(
    trained: TrainedModel, examples: Sequence[DialogueExample], batch_size: int = 64, precision: str = "fp32"
) -> Encoded:
    """Tokenize and run the model: nearly all of a prediction's time, spent in torch's kernels, which
    let other Python threads run meanwhile (labelling writes one chunk while the next is encoded)."""
    if not examples:
        return Encoded(examples=examples, features=[], logits=[])
    featurizer = Featurizer.for_model(
        trained.tokenizer, trained.inventories, trained.model_config, trained.word_model
    )
    features = featurizer(examples)
    autocast = (
        "bf16" if precision == "bf16" else "fp32"
    )  # int8 runs its quantised layers in fp32 autocast-free
    logits = run_model(trained.model, features, _pad_id(trained.tokenizer), batch_size, autocast)
    return Encoded(examples=examples, features=features, logits=logits)


def decode_with(trained: TrainedModel, encoded: Encoded) -> list[DialoguePrediction]:
    """The predictions that ``encode_with``'s logits stand for, in the examples' order, each turn's
    failure point with the evidence it rests on."""
    predictions = [
        decode(example, feature, logit, trained.inventories, trained.temperatures, trained.tasks)
        for example, feature, logit in zip(encoded.examples, encoded.features, encoded.logits, strict=True)
    ]
    if "failure_point" in trained.tasks:
        for example, prediction in zip(encoded.examples, predictions, strict=True):
            for turn, predicted in zip(example.turns, prediction.turns, strict=True):
                predicted.evidence = failure_evidence(turn, predicted, trained.word_model)
    return predictions


def predict_with(
    trained: TrainedModel, examples: Sequence[DialogueExample], batch_size: int = 64, precision: str = "fp32"
) -> list[DialoguePrediction]:
    """Predictions of an in-memory model (training uses this for validation)."""
    return decode_with(trained, encode_with(trained, examples, batch_size, precision))


def _pad_id(tokenizer: Any) -> int:
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0


class Predictor:
    """A loaded checkpoint; ``predict`` labels dialogues and returns them in input order."""

    def __init__(self, trained: TrainedModel, precision: str = "fp32") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.trained = trained
        self.precision = precision
        trained.model.eval()
        if precision == "int8":
            # Only the encoder: it is nearly all the compute, and nn.TransformerEncoderLayer's fast path
            # reads ``linear.weight.device``, which quantised linears do not have.
            with warnings.catch_warnings():
                # torch.ao.quantization warns that it moves to torchao; it still works in this torch.
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                trained.model.encoder = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]  # torch leaves it untyped
                    trained.model.encoder, {nn.Linear}, dtype=torch.qint8
                )

    @classmethod
    def load(cls, path: Path, precision: str = "fp32", threads: int | None = None) -> Predictor:
        if threads is not None:
            torch.set_num_threads(threads)
        return cls(load_trained(Path(path)), precision)

    @property
    def inventories(self) -> dict[str, list[str]]:
        return self.trained.inventories

    @property
    def tasks(self) -> list[str]:
        return self.trained.tasks

    @property
    def temperatures(self) -> dict[str, float]:
        return self.trained.temperatures

    @property
    def validation_metrics(self) -> dict[str, Any]:
        return self.trained.validation_metrics

    def predict(self, examples: Sequence[DialogueExample], batch_size: int = 64) -> list[DialoguePrediction]:
        return predict_with(self.trained, examples, batch_size, self.precision)

    def encode(self, examples: Sequence[DialogueExample], batch_size: int = 64) -> Encoded:
        """The first half of ``predict``: safe to run in a thread of its own, one call at a time."""
        return encode_with(self.trained, examples, batch_size, self.precision)

    def decode(self, encoded: Encoded) -> list[DialoguePrediction]:
        """The second half of ``predict``."""
        return decode_with(self.trained, encoded)
