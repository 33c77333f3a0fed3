"""The training loop: a clock for the time budget, the optimiser and its schedule, self-supervised
pretraining, supervised rounds that score on held-out dialogues and keep the best point, and
temperature calibration. ``models_app.ml.train.train_model`` puts them together.

Cancelling: when ``should_stop()`` returns True (checked before every step), training raises
``TrainingCancelled``; nothing half-trained is returned, so a cancelled job never registers a model.
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

from models_app.ml.batching import Batch, batches_by_turns, collate
from models_app.ml.calibration import fit_temperatures
from models_app.ml.checkpoint import TrainedModel
from models_app.ml.config import TrainConfig
from models_app.ml.data import DialogueExample
from models_app.ml.features import Featurizer
from models_app.ml.inference import autocast_context, run_model
from models_app.ml.losses import multitask_loss, pretraining_loss
from models_app.ml.metrics import evaluate, selection_score
from models_app.ml.model import LabelModel
from models_app.ml.predict import predict_with
from models_app.ml.pretrain import corrupt
from models_app.ml.tokenization import IGNORE

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int, dict[str, Any]], None]


class TrainingCancelled(Exception):
    """Raised when the caller's ``should_stop()`` asked training to stop."""


class Clock:
    def __init__(self, max_seconds: float | None) -> None:
        self.started = time.monotonic()
        self.max_seconds = max_seconds

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def out_of_time(self) -> bool:
        return self.max_seconds is not None and self.elapsed >= self.max_seconds


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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
        self, optimizer: torch.optim.Optimizer, total: int, warmup: float, clock: Clock | None
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


def pretrain(
    model: LabelModel,
    examples: Sequence[DialogueExample],
    featurizer: Featurizer,
    config: TrainConfig,
    pad_id: int,
    clock: Clock,
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


def calibrate(
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


def fit_failure_stage(
    trained: TrainedModel, featurizer: Featurizer, held_out: Sequence[DialogueExample], pad_id: int
) -> dict[str, Any]:
    """Fit the failure point's second stage (models_app.ml.heads.FailureStage) on the held-out turns
    with a gold failure point; what it did, for the history (nothing without the stage or the data)."""
    model = trained.model
    stage = model.failure_stage
    if stage is None or not held_out or "failure_point" not in trained.tasks:
        return {}
    features = featurizer(held_out)
    # The stage is not fitted yet, so these are the joint model's own failure point logits.
    logits = run_model(model, features, pad_id)
    rows: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    for feature, logit in zip(features, logits, strict=True):
        if not feature.tokens:
            continue
        gold = torch.tensor(feature.failure_point, dtype=torch.long)
        keep = gold != IGNORE
        if not bool(keep.any()):
            continue
        evidence = model.stage_evidence(
            torch.tensor(feature.numerical, dtype=torch.float),
            torch.tensor(feature.categorical, dtype=torch.long),
            logit.intent,
        )
        rows.append(model.stage_inputs(evidence, logit.failure_point)[keep])
        targets.append(gold[keep])
    if not rows:
        return {"failure_stage_turns": 0, "failure_stage_fitted": False}
    fitted = stage.fit(
        torch.cat(rows), torch.cat(targets), balance=trained.model_config.failure_stage_balance
    )
    return {"failure_stage_turns": int(sum(len(t) for t in targets)), "failure_stage_fitted": fitted}


class Fit:
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

    def round(self, examples: Sequence[DialogueExample], epochs: int, clock: Clock) -> None:
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
