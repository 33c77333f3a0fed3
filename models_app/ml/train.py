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
from models_app.ml.inference import autocast_context, run_model
from models_app.ml.losses import multitask_loss, pretraining_loss
from models_app.ml.metrics import evaluate, selection_score
from models_app.ml.model import LabelModel
from models_app.ml.predict import predict_with
from models_app.ml.pretrain import corrupt

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int, dict[str, Any]], None]


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
) -> TrainedModel:
    """Train on ``train``; select the best evaluation point on ``valid`` (else a held-out part of
    ``train``) by the mean of its main metrics; calibrate temperatures on the same held-out data.

    ``progress(stage, done, total, info)`` is called after every step (stages "pretrain", "train",
    "calibrate"; ``info`` has the loss parts, the epoch and, after an evaluation, its metrics).
    Raises TrainingCancelled when ``should_stop()`` turns True, ValueError on empty data.
    """
    if not train:
        raise ValueError("No training dialogues.")
    if train_config.precision not in ("fp32", "bf16"):
        raise ValueError(f"TrainConfig.precision must be 'fp32' or 'bf16', not {train_config.precision!r}")
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
    pad_id = int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0
    featurizer = Featurizer(tokenizer, inventories, model_config.max_tokens, model_config.context_fields)
    trained = TrainedModel(
        model=model,
        tokenizer=tokenizer,
        model_config=model_config,
        train_config=train_config,
        inventories=inventories,
        tasks=tasks,
    )
    history: dict[str, Any] = {
        "encoder_path": encoder_path,
        "train_dialogues": len(train_examples),
        "validation_dialogues": len(held_out),
    }

    if train_config.pretrain_epochs > 0:
        history["pretrain_steps"] = _pretrain(
            model, train_examples, featurizer, train_config, pad_id, clock, progress, should_stop
        )

    features = featurizer(train_examples)
    rng = random.Random(train_config.seed)
    per_epoch = len(list(batches_by_turns(features, train_config.batch_size, random.Random(0))))
    total = per_epoch * train_config.epochs
    optimizer = _optimizer(model, train_config)
    scheduler = _Schedule(optimizer, total, train_config.warmup, clock)
    evaluate_every = max(1, per_epoch // max(1, train_config.evaluations_per_epoch))
    best: tuple[float, dict[str, torch.Tensor], dict[str, Any]] | None = None
    done = 0
    stopped_early = False
    for epoch in range(train_config.epochs):
        epoch_batches = list(batches_by_turns(features, train_config.batch_size, rng))
        for position, indices in enumerate(epoch_batches):
            if should_stop is not None and should_stop():
                raise TrainingCancelled("Training was cancelled.")
            if clock.out_of_time():
                stopped_early = True
                break
            model.train()
            batch: Batch = collate([features[i] for i in indices], pad_id)
            with autocast_context(train_config.precision):
                output = model(batch)
            loss, parts = multitask_loss(output, batch, train_config.loss_weights)
            if loss is not None:
                _step(model, optimizer, scheduler, loss, train_config.max_grad_norm)
            else:
                scheduler.step()
            done += 1
            info: dict[str, Any] = {"epoch": epoch + 1, "loss": parts}
            last_of_epoch = position + 1 == len(epoch_batches)
            if held_out and ((position + 1) % evaluate_every == 0 or last_of_epoch):
                metrics = _validate(trained, held_out)
                info["validation"] = metrics
                if best is None or metrics["score"] > best[0]:
                    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    best = (metrics["score"], weights, {**metrics, "epoch": epoch + 1, "step": done})
                logger.info("epoch %s step %s validation score %.4f", epoch + 1, done, metrics["score"])
            if progress is not None:
                # Packing by turns makes an epoch's batch count vary a little with the shuffle.
                progress("train", done, max(total, done), info)
        if stopped_early:
            break
    if held_out and (best is None or done > best[2]["step"]):
        # The last steps (an early stop mid-epoch) have not been scored yet.
        metrics = _validate(trained, held_out)
        if best is None or metrics["score"] > best[0]:
            best = (
                metrics["score"],
                {k: v.detach().clone() for k, v in model.state_dict().items()},
                {**metrics, "epoch": epoch + 1, "step": done},
            )
    if best is not None:
        model.load_state_dict(best[1])
        trained.validation_metrics = best[2]
    history.update(
        {
            "steps": done,
            "total_steps": total,
            "seconds": round(clock.elapsed, 1),
            "stopped_at_max_seconds": stopped_early,
        }
    )

    if held_out:
        if progress is not None:
            progress("calibrate", 0, 1, {})
        held_features = featurizer(held_out)
        logits = run_model(model, held_features, pad_id, gold_segments=True)
        trained.temperatures = fit_temperatures(logits, held_features)
        if progress is not None:
            progress("calibrate", 1, 1, {"temperatures": trained.temperatures})
    history["seconds_with_calibration"] = round(clock.elapsed, 1)
    trained.history = history
    model.eval()
    return trained
