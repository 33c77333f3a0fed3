"""Saving and loading a trained model as a self-contained directory (works offline, anywhere).

Layout: ``model.pt`` (a dict of weights, configs, label inventories and temperatures, loaded with
``weights_only=True``), ``checkpoint.json`` (the same minus weights, plus validation metrics, for
people and the registry), ``plausibility.txt.gz`` where the model reads the plausibility of the heard
words (the sentences of its word model, models_app.ml.plausibility) and ``encoder/`` (the tokenizer
files and the encoder's architecture, so loading needs neither the original encoder path nor a model
hub).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer

from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.model import LabelModel
from models_app.ml.plausibility import PLAUSIBILITY_FILE, WordModel

FORMAT_VERSION = 1
WEIGHTS = "model.pt"
SUMMARY = "checkpoint.json"
ENCODER_DIR = "encoder"


@dataclass
class TrainedModel:
    """A trained model with everything needed to use, save and describe it."""

    model: LabelModel
    tokenizer: Any
    model_config: ModelConfig
    train_config: TrainConfig
    inventories: dict[str, list[str]]
    temperatures: dict[str, float] = field(default_factory=dict)
    validation_metrics: dict[str, Any] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    # What training did: epochs and steps run, seconds, whether it stopped at max_seconds.
    history: dict[str, Any] = field(default_factory=dict)
    # The word model the plausibility features are scored with (None: they read "not scored").
    word_model: WordModel | None = None

    @property
    def config(self) -> dict[str, Any]:
        return {
            "model": self.model_config.asdict(),
            "train": self.train_config.asdict(),
            "history": self.history,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "model_config": self.model_config.asdict(),
            "train_config": self.train_config.asdict(),
            "inventories": self.inventories,
            "temperatures": self.temperatures,
            "validation_metrics": self.validation_metrics,
            "tasks": self.tasks,
            "history": self.history,
            "encoder_source": self.model_config.encoder,
        }

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        summary = self.summary()
        weights = {key: value.detach().cpu() for key, value in self.model.state_dict().items()}
        torch.save({"weights": weights, **summary}, path / WEIGHTS)
        (path / SUMMARY).write_text(json.dumps(summary, indent=2, sort_keys=True), encoding="utf-8")
        self.tokenizer.save_pretrained(str(path / ENCODER_DIR))
        self.model.encoder.config.save_pretrained(str(path / ENCODER_DIR))
        if self.word_model is not None:
            self.word_model.save(path / PLAUSIBILITY_FILE)


def load_trained(path: Path) -> TrainedModel:
    """The model of a checkpoint directory on the CPU, in eval mode."""
    path = Path(path)
    if not (path / WEIGHTS).exists():
        raise FileNotFoundError(f"No checkpoint at {path} (expected {WEIGHTS}).")
    state = torch.load(path / WEIGHTS, map_location="cpu", weights_only=True)
    model_config = ModelConfig.from_dict(state["model_config"])
    inventories = state["inventories"]
    tokenizer = AutoTokenizer.from_pretrained(str(path / ENCODER_DIR))
    config = AutoConfig.from_pretrained(str(path / ENCODER_DIR))
    encoder = AutoModel.from_config(config)  # type: ignore[no-untyped-call]  # transformers leaves it untyped
    model = LabelModel(model_config, encoder, inventories)
    model.load_state_dict(state["weights"])
    model.eval()
    return TrainedModel(
        model=model,
        tokenizer=tokenizer,
        model_config=model_config,
        train_config=TrainConfig.from_dict(state.get("train_config")),
        inventories=inventories,
        temperatures={k: float(v) for k, v in state.get("temperatures", {}).items()},
        validation_metrics=state.get("validation_metrics", {}),
        tasks=list(state.get("tasks", [])),
        history=state.get("history", {}),
        word_model=WordModel.load(path / PLAUSIBILITY_FILE) if (path / PLAUSIBILITY_FILE).exists() else None,
    )
