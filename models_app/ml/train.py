"""Training: optional self-supervised pretraining, supervised multi-task training with model
selection on validation data, then temperature calibration per head.

Cancelling: when ``should_stop()`` returns True (checked before every step), training raises
``TrainingCancelled``; nothing half-trained is returned, so a cancelled job never registers a model.
``TrainConfig.max_seconds`` is different: it ends training early on purpose and the best model so far
is selected, calibrated and returned as usual.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from models_app.ml.augment import drop_fields
from models_app.ml.batching import Batch, batches_by_turns, collate
from models_app.ml.calibration import fit_temperatures
from models_app.ml.checkpoint import TrainedModel
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.data import DialogueExample
from models_app.ml.encoder import load_pretrained_encoder, load_tokenizer, resolve_encoder
from models_app.ml.features import Featurizer, build_inventories, tasks_with_gold
from models_app.ml.hardware import AUTO, cpu_info, resolve_precision
from models_app.ml.inference import autocast_context, run_model
from models_app.ml.losses import multitask_loss, pretraining_loss
from models_app.ml.metrics import evaluate, selection_score
from models_app.ml.model import LabelModel
from models_app.ml.predict import predict_with
from models_app.ml.pretrain import corrupt
from models_app.ml.self_training import pseudo_labelled

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int, dict[str, Any]], None]
# Training runs its forward pass in fp32 or under bf16 autocast; "auto" picks by the CPU's flags.
TRAIN_PRECISIONS = ("fp32", "bf16", AUTO)


class TrainingConfigurationError(ValueError):
    """The training configuration does not fit the model or the data (a message for the person)."""


class TrainingCancelled(Exception):
    """Raised when the caller's ``should_stop()`` asked training to stop."""


class _Clock:
    def __init__(self, max_seconds: float | None) -> None:
        self.started = time.monotonic()
        self.max_seconds = max_seconds

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def out_of_time(self) -> bool:
        return self.max_seconds is not None and self.elapsed >= self.max_seconds


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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


def _optimizer(model: LabelModel, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with the encoder at its own (small) learning rate; no decay on biases and norms."""
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        is_encoder = name.startswith("encoder.")
        decays = parameter.ndim > 1 and "norm" not in name.lower()
        groups.setdefault((is_encoder, decays), []).append(parameter)
    return torch.optim.AdamW(
        [
            {
                "params": params,
                "lr": config.encoder_lr if is_encoder else config.head_lr,
                "weight_decay": config.weight_decay if decays else 0.0,
            }
            for (is_encoder, decays), params in groups.items()
        ]
    )


class _Schedule:
    """Linear warmup, then linear decay to 0, by the share of training done: steps done or, when
    ``max_seconds`` binds first, time used. A run cut short by its time budget still ends at a low
    learning rate (a better last model) instead of stopping at full speed."""

    def __init__(
        self, optimizer: torch.optim.Optimizer, total: int, warmup: float, clock: _Clock | None
    ) -> None:
        self.optimizer = optimizer
        self.total = max(1, total)
        self.warmup = warmup
        self.clock = clock
        self.done = 0
        self.base = [group["lr"] for group in optimizer.param_groups]
        self._apply()

    def fraction(self) -> float:
        fraction = self.done / self.total
        if self.clock is not None and self.clock.max_seconds:
            fraction = max(fraction, self.clock.elapsed / self.clock.max_seconds)
        return min(fraction, 1.0)

    def factor(self) -> float:
        fraction = self.fraction()
        if self.warmup > 0 and fraction < self.warmup:
            return max(fraction / self.warmup, 1.0 / self.total)
        return max(0.0, (1.0 - fraction) / max(1e-9, 1.0 - self.warmup))

    def _apply(self) -> None:
        factor = self.factor()
        for group, base in zip(self.optimizer.param_groups, self.base, strict=True):
            group["lr"] = base * factor

    def step(self) -> None:
        self.done += 1
        self._apply()


def _step(
    model: LabelModel,
    optimizer: torch.optim.Optimizer,
    scheduler: _Schedule,
    loss: torch.Tensor,
    max_grad_norm: float,
) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]  # torch's stub leaves it untyped
    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    scheduler.step()


def _pretrain(
    model: LabelModel,
    examples: Sequence[DialogueExample],
    featurizer: Featurizer,
    config: TrainConfig,
    pad_id: int,
    clock: _Clock,
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
) -> int:
    """Real-vs-swapped turns; returns the steps run."""
    rng = random.Random(config.seed + 1)
    optimizer = _optimizer(model, config)
    per_epoch = max(1, math.ceil(sum(len(e.turns) for e in examples) / config.batch_size))
    total = per_epoch * config.pretrain_epochs
    scheduler = _Schedule(optimizer, total, config.warmup, clock=None)
    done = 0
    for _ in range(config.pretrain_epochs):
        corrupted, flags = corrupt(examples, config.pretrain_swap_rate, rng)
        features = featurizer(corrupted)
        for feature, flag in zip(features, flags, strict=True):
            feature.swapped = flag
        for indices in batches_by_turns(features, config.batch_size, rng):
            if should_stop is not None and should_stop():
                raise TrainingCancelled("Training was cancelled during pretraining.")
            if clock.out_of_time():
                return done
            model.train()
            batch = collate([features[i] for i in indices], pad_id)
            with autocast_context(config.precision):
                output = model(batch)
            loss = pretraining_loss(output, batch)
            if loss is not None:
                _step(model, optimizer, scheduler, loss, config.max_grad_norm)
            done += 1
            if progress is not None:
                progress(
                    "pretrain", done, total, {"loss": float(loss.detach()) if loss is not None else None}
                )
    return done


def _calibrate(
    trained: TrainedModel,
    featurizer: Featurizer,
    held_out: Sequence[DialogueExample],
    pad_id: int,
    progress: Progress | None,
) -> None:
    """Temperatures per head, fitted on the held-out dialogues (none without them)."""
    if not held_out:
        return
    if progress is not None:
        progress("calibrate", 0, 1, {})
    held_features = featurizer(held_out)
    logits = run_model(trained.model, held_features, pad_id, gold_segments=True)
    trained.temperatures = fit_temperatures(logits, held_features)
    if progress is not None:
        progress("calibrate", 1, 1, {"temperatures": trained.temperatures})


class _Fit:
    """Supervised training in one or more rounds, scoring on the held-out dialogues as it goes and
    remembering the best point across all rounds (``keep_best`` loads it)."""

    def __init__(
        self,
        trained: TrainedModel,
        featurizer: Featurizer,
        held_out: Sequence[DialogueExample],
        pad_id: int,
        progress: Progress | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.trained = trained
        self.featurizer = featurizer
        self.held_out = held_out
        self.pad_id = pad_id
        self.progress = progress
        self.should_stop = should_stop
        self.config = trained.train_config
        self.rng = random.Random(self.config.seed)
        self.best: tuple[float, dict[str, torch.Tensor], dict[str, Any]] | None = None
        self.done = 0
        self.total = 0
        self.epoch = 0
        self.stopped_early = False

    def round(self, examples: Sequence[DialogueExample], epochs: int, clock: _Clock) -> None:
        """``epochs`` passes over ``examples`` with a fresh optimiser and schedule, until ``clock`` runs
        out."""
        config, model = self.config, self.trained.model
        features = self.featurizer(examples)
        per_epoch = len(list(batches_by_turns(features, config.batch_size, random.Random(0))))
        total = per_epoch * epochs
        self.total += total
        optimizer = _optimizer(model, config)
        scheduler = _Schedule(optimizer, total, config.warmup, clock)
        evaluate_every = max(1, per_epoch // max(1, config.evaluations_per_epoch))
        for _ in range(epochs):
            self.epoch += 1
            epoch_batches = list(batches_by_turns(features, config.batch_size, self.rng))
            for position, indices in enumerate(epoch_batches):
                if self.should_stop is not None and self.should_stop():
                    raise TrainingCancelled("Training was cancelled.")
                if clock.out_of_time():
                    self.stopped_early = True
                    break
                model.train()
                batch: Batch = collate([features[i] for i in indices], self.pad_id)
                with autocast_context(config.precision):
                    output = model(batch)
                loss, parts = multitask_loss(output, batch, config.loss_weights)
                if loss is not None:
                    _step(model, optimizer, scheduler, loss, config.max_grad_norm)
                else:
                    scheduler.step()
                self.done += 1
                info: dict[str, Any] = {"epoch": self.epoch, "loss": parts}
                last_of_epoch = position + 1 == len(epoch_batches)
                if self.held_out and ((position + 1) % evaluate_every == 0 or last_of_epoch):
                    info["validation"] = self._score()
                if self.progress is not None:
                    # Packing by turns makes an epoch's batch count vary a little with the shuffle.
                    self.progress("train", self.done, max(self.total, self.done), info)
            if clock.out_of_time():
                self.stopped_early = True
                break
        if self.held_out and (self.best is None or self.done > self.best[2]["step"]):
            # The last steps (an early stop mid-epoch) have not been scored yet.
            self._score()

    def _score(self) -> dict[str, Any]:
        metrics = _validate(self.trained, self.held_out)
        if self.best is None or metrics["score"] > self.best[0]:
            weights = {k: v.detach().clone() for k, v in self.trained.model.state_dict().items()}
            self.best = (metrics["score"], weights, {**metrics, "epoch": self.epoch, "step": self.done})
        logger.info("epoch %s step %s validation score %.4f", self.epoch, self.done, metrics["score"])
        return metrics

    def keep_best(self) -> None:
        """Load the best scored weights (without held-out dialogues, the last ones stay)."""
        if self.best is not None:
            self.trained.model.load_state_dict(self.best[1])
            self.trained.validation_metrics = self.best[2]


def _validate(trained: TrainedModel, examples: Sequence[DialogueExample]) -> dict[str, Any]:
    predictions = predict_with(trained, examples, precision="fp32")
    metrics = evaluate(examples, predictions)
    metrics["score"] = selection_score(metrics)
    return metrics


def train_model(
    train: Sequence[DialogueExample],
    valid: Sequence[DialogueExample] | None,
    model_config: ModelConfig,
    train_config: TrainConfig,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    unlabelled: Sequence[DialogueExample] | None = None,
) -> TrainedModel:
    """Train on ``train``; select the best evaluation point on ``valid`` (else a held-out part of
    ``train``) by the mean of its main metrics; calibrate temperatures on the same held-out data.

    ``progress(stage, done, total, info)`` is called after every step (stages "pretrain", "train",
    "calibrate"; ``info`` has the loss parts, the epoch and, after an evaluation, its metrics).
    ``unlabelled`` dialogues (logs without gold) are used only by self-training
    (``TrainConfig.self_training_epochs``): after the supervised epochs, the model's confident labels
    of them join the gold for that many more epochs (see models_app.ml.self_training).
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
    clock = _Clock(train_config.max_seconds)
    _seed(train_config.seed)
    train_examples = list(train)
    if valid:
        held_out = list(valid)
    else:
        train_examples, held_out = split_validation(
            train_examples, train_config.validation_fraction, train_config.seed
        )
    if len(held_out) > train_config.max_validation_dialogues:
        held_out = random.Random(train_config.seed).sample(held_out, train_config.max_validation_dialogues)
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
    featurizer = Featurizer.for_model(tokenizer, inventories, model_config)
    trained = TrainedModel(
        model=model,
        tokenizer=tokenizer,
        model_config=model_config,
        train_config=train_config,
        inventories=inventories,
        tasks=tasks,
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

    if train_config.pretrain_epochs > 0:
        # Under a time budget, pretraining gets its share by epochs, like the rounds after it.
        all_epochs = train_config.pretrain_epochs + train_config.epochs
        if train_config.self_training_epochs > 0 and unlabelled:
            all_epochs += train_config.self_training_epochs
        pretrain_clock = _Clock(
            None
            if train_config.max_seconds is None
            else train_config.max_seconds * train_config.pretrain_epochs / all_epochs
        )
        history["pretrain_steps"] = _pretrain(
            model, train_examples, featurizer, train_config, pad_id, pretrain_clock, progress, should_stop
        )

    rounds = [train_config.epochs]
    if train_config.self_training_epochs > 0 and unlabelled:
        rounds.append(train_config.self_training_epochs)
    fit = _Fit(trained, featurizer, held_out, pad_id, progress, should_stop)
    # With a time budget, the supervised round gets its share by epochs of what pretraining left, and
    # self-training whatever remains after pseudo-labelling.
    first_budget = (
        None
        if clock.max_seconds is None
        else max(0.0, clock.max_seconds - clock.elapsed) * rounds[0] / sum(rounds)
    )
    fit = _Fit(trained, featurizer, held_out, pad_id, progress, should_stop)
    fit.round(train_examples, rounds[0], _Clock(first_budget))
    if len(rounds) > 1:
        fit.keep_best()
        _calibrate(trained, featurizer, held_out, pad_id, progress)
        confident = pseudo_labelled(
            list(unlabelled or ()),
            predict_with(trained, list(unlabelled or ()), precision="fp32"),
            train_config.self_training_threshold,
        )
        history["self_training_dialogues"] = len(confident)
        remaining = None if clock.max_seconds is None else max(0.0, clock.max_seconds - clock.elapsed)
        fit.round([*train_examples, *confident], rounds[1], _Clock(remaining))
    fit.keep_best()
    history.update(
        {
            "steps": fit.done,
            "total_steps": fit.total,
            "seconds": round(clock.elapsed, 1),
            "stopped_at_max_seconds": fit.stopped_early,
        }
    )

    _calibrate(trained, featurizer, held_out, pad_id, progress)
    history["seconds_with_calibration"] = round(clock.elapsed, 1)
    trained.history = history
    model.eval()
    return trained
