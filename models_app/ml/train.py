"""Training: optional self-supervised pretraining, supervised multi-task training with model
selection on validation data, then temperature calibration per head (the loop itself is
``models_app.ml.loop``).

Cancelling: when ``should_stop()`` returns True (checked before every step), training raises
``TrainingCancelled``; nothing half-trained is returned, so a cancelled job never registers a model.
``TrainConfig.max_seconds`` is different: it ends training early on purpose and the best model so far
is selected, calibrated and returned as usual.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import torch

from models_app.ml.augment import drop_fields
from models_app.ml.checkpoint import TrainedModel
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.data import DialogueExample
from models_app.ml.encoder import load_pretrained_encoder, load_tokenizer, resolve_encoder
from models_app.ml.features import Featurizer, build_inventories, tasks_with_gold
from models_app.ml.hardware import AUTO, cpu_info, resolve_precision
from models_app.ml.loop import (
    Clock,
    Fit,
    Progress,
    TrainingCancelled,
    calibrate,
    fit_failure_stage,
    pretrain,
    seed_everything,
)
from models_app.ml.model import LabelModel
from models_app.ml.plausibility import WordModel
from models_app.ml.predict import predict_with
from models_app.ml.self_training import pseudo_labelled

__all__ = [
    "TRAIN_PRECISIONS",
    "Progress",
    "TrainingCancelled",
    "TrainingConfigurationError",
    "freeze_encoder_layers",
    "split_validation",
    "train_model",
]
# Training runs its forward pass in fp32 or under bf16 autocast; "auto" picks by the CPU's flags.
TRAIN_PRECISIONS = ("fp32", "bf16", AUTO)


class TrainingConfigurationError(ValueError):
    """The training configuration does not fit the model or the data (a message for the person)."""


def split_validation(
    examples: Sequence[DialogueExample], fraction: float, seed: int
) -> tuple[list[DialogueExample], list[DialogueExample]]:
    """A seeded random split by dialogue: (train, held out)."""
    if fraction <= 0 or len(examples) < 2:
        return list(examples), []
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    held = max(1, round(len(examples) * fraction))
    held_out = set(order[:held])
    return (
        [e for i, e in enumerate(examples) if i not in held_out],
        [e for i, e in enumerate(examples) if i in held_out],
    )


def freeze_encoder_layers(model: LabelModel, layers: int) -> int:
    """Stop the gradient of the encoder's embeddings and first ``layers`` layers; returns how many
    parameters were frozen. An encoder without the BERT layout (``embeddings``, ``encoder.layer``)
    is refused rather than silently trained whole. BERT-style encoders (BERT, RoBERTa, MiniLM, BGE:
    ``encoder.layer``) and DistilBERT (``transformer.layer``) have it."""
    if layers <= 0:
        return 0
    encoder = model.encoder
    stack = getattr(encoder, "encoder", None) or getattr(encoder, "transformer", None)
    blocks = getattr(stack, "layer", None)
    embeddings = getattr(encoder, "embeddings", None)
    if blocks is None or embeddings is None:
        raise TrainingConfigurationError(
            f"frozen_encoder_layers needs a BERT-style encoder (embeddings and layers), not "
            f"{type(encoder).__name__}: set it to 0 for this encoder"
        )
    if layers > len(blocks):
        raise TrainingConfigurationError(
            f"frozen_encoder_layers is {layers} but the encoder has {len(blocks)} layers"
        )
    frozen = 0
    for module in [embeddings, *list(blocks)[:layers]]:
        for parameter in module.parameters():
            parameter.requires_grad_(False)
            frozen += parameter.numel()
    return frozen


def train_model(
    train: Sequence[DialogueExample],
    valid: Sequence[DialogueExample] | None,
    model_config: ModelConfig,
    train_config: TrainConfig,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    unlabelled: Sequence[DialogueExample] | None = None,
    word_model: WordModel | None = None,
) -> TrainedModel:
    """Train on ``train``; select the best evaluation point on ``valid`` (else a held-out part of
    ``train``) by the mean of its main metrics; calibrate temperatures on the same held-out data.

    ``progress(stage, done, total, info)`` is called after every step (stages "pretrain", "train",
    "calibrate"; ``info`` has the loss parts, the epoch and, after an evaluation, its metrics).
    ``unlabelled`` dialogues (logs without gold) are used only by self-training
    (``TrainConfig.self_training_epochs``): after the supervised epochs, the model's confident labels
    of them join the gold for that many more epochs (see models_app.ml.self_training).
    ``word_model`` scores the plausibility of the heard words (``ModelConfig.plausibility_features``);
    it is saved with the model.
    Raises TrainingCancelled when ``should_stop()`` turns True, ValueError on empty data.
    """
    if not train:
        raise ValueError("No training dialogues.")
    if train_config.precision not in TRAIN_PRECISIONS:
        allowed = ", ".join(TRAIN_PRECISIONS)
        raise ValueError(f"TrainConfig.precision must be one of {allowed}, not {train_config.precision!r}")
    # "auto" is decided here, on the machine that trains, and the config keeps what was used.
    train_config.precision = resolve_precision(train_config.precision)
    if train_config.threads:
        torch.set_num_threads(train_config.threads)
    clock = Clock(train_config.max_seconds)
    seed_everything(train_config.seed)
    train_examples, held_out = _train_and_held_out(train, valid, train_config)
    inventories = build_inventories(train_examples)
    tasks = tasks_with_gold(train_examples)
    if train_config.field_dropout > 0:
        # After the inventories: a value seen only where it is later dropped is still a known value.
        train_examples = drop_fields(train_examples, train_config.field_dropout, train_config.seed)
    encoder_path = resolve_encoder(model_config.encoder)
    tokenizer = load_tokenizer(encoder_path)
    model = LabelModel(model_config, load_pretrained_encoder(encoder_path), inventories)
    frozen_parameters = freeze_encoder_layers(model, train_config.frozen_encoder_layers)
    pad_id = int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0
    featurizer = Featurizer.for_model(tokenizer, inventories, model_config, word_model)
    trained = TrainedModel(
        model=model,
        tokenizer=tokenizer,
        model_config=model_config,
        train_config=train_config,
        inventories=inventories,
        tasks=tasks,
        word_model=word_model if model_config.plausibility_features else None,
    )
    history: dict[str, Any] = {
        **cpu_info().describe(),
        "precision": train_config.precision,
        "threads": torch.get_num_threads(),
        "encoder_path": encoder_path,
        "train_dialogues": len(train_examples),
        "validation_dialogues": len(held_out),
        "frozen_parameters": frozen_parameters,
    }
    rounds = [train_config.epochs]
    if train_config.self_training_epochs > 0 and unlabelled:
        rounds.append(train_config.self_training_epochs)
    if train_config.pretrain_epochs > 0:
        # Under a time budget, pretraining gets its share by epochs, like the rounds after it.
        all_epochs = train_config.pretrain_epochs + sum(rounds)
        budget = (
            None
            if train_config.max_seconds is None
            else train_config.max_seconds * train_config.pretrain_epochs / all_epochs
        )
        history["pretrain_steps"] = pretrain(
            model, train_examples, featurizer, train_config, pad_id, Clock(budget), progress, should_stop
        )
    fit = Fit(trained, featurizer, held_out, pad_id, progress, should_stop)
    history.update(_supervised_rounds(fit, train_examples, held_out, rounds, unlabelled or (), clock))
    history.update(fit_failure_stage(trained, featurizer, held_out, pad_id))
    calibrate(trained, featurizer, held_out, pad_id, progress)
    history["seconds_with_calibration"] = round(clock.elapsed, 1)
    trained.history = history
    model.eval()
    return trained


def _train_and_held_out(
    train: Sequence[DialogueExample], valid: Sequence[DialogueExample] | None, config: TrainConfig
) -> tuple[list[DialogueExample], list[DialogueExample]]:
    """The dialogues to train on and those to select and calibrate on: ``valid`` when given, else a
    held-out share of ``train``; at most ``max_validation_dialogues`` of them, sampled."""
    train_examples = list(train)
    if valid:
        held_out = list(valid)
    else:
        train_examples, held_out = split_validation(train_examples, config.validation_fraction, config.seed)
    if len(held_out) > config.max_validation_dialogues:
        held_out = random.Random(config.seed).sample(held_out, config.max_validation_dialogues)
    return train_examples, held_out


def _supervised_rounds(
    fit: Fit,
    train_examples: Sequence[DialogueExample],
    held_out: Sequence[DialogueExample],
    rounds: Sequence[int],
    unlabelled: Sequence[DialogueExample],
    clock: Clock,
) -> dict[str, Any]:
    """The supervised round, then (when ``rounds`` has two) self-training on the confident labels of
    ``unlabelled``; leaves the best scored weights loaded and returns what to add to the history."""
    trained, config = fit.trained, fit.config
    history: dict[str, Any] = {}
    # With a time budget, the supervised round gets its share by epochs of what pretraining left, and
    # self-training whatever remains after pseudo-labelling.
    first_budget = (
        None
        if clock.max_seconds is None
        else max(0.0, clock.max_seconds - clock.elapsed) * rounds[0] / sum(rounds)
    )
    fit.round(train_examples, rounds[0], Clock(first_budget))
    if len(rounds) > 1:
        fit.keep_best()
        calibrate(trained, fit.featurizer, held_out, fit.pad_id, fit.progress)
        confident = pseudo_labelled(
            list(unlabelled),
            predict_with(trained, list(unlabelled), precision="fp32"),
            config.self_training_threshold,
        )
        history["self_training_dialogues"] = len(confident)
        remaining = None if clock.max_seconds is None else max(0.0, clock.max_seconds - clock.elapsed)
        fit.round([*train_examples, *confident], rounds[1], Clock(remaining))
    fit.keep_best()
    history.update(
        {
            "steps": fit.done,
            "total_steps": fit.total,
            # The epochs the steps amount to: a time cap on a slower CPU shows here first.
            "epochs_reached": round(sum(rounds) * fit.done / fit.total, 2) if fit.total else 0.0,
            "seconds": round(clock.elapsed, 1),
            "stopped_at_max_seconds": fit.stopped_early,
        }
    )
    return history
