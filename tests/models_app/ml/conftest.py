"""Shared fixtures: a tiny random-weight encoder built in code and a handful of hand-made dialogues."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path
from typing import Any

import pytest
import torch

from models_app.ml.config import ModelConfig
from models_app.ml.data import DialogueExample
from models_app.ml.encoder import build_tiny_encoder
from models_app.ml.format_adapter import example_from_format
from tests.models_app.ml.factories import fast_train_config, handmade_dialogues


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> None:
    # Tests are tiny; one thread avoids contention with whatever else runs on a 2-core machine.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture
def tiny_model_config(tiny_encoder: str) -> ModelConfig:
    return ModelConfig(
        encoder=tiny_encoder,
        context_width=32,
        context_layers=1,
        context_heads=2,
        dropout=0.0,
        categorical_dim=4,
        numerical_dim=4,
        max_tokens=96,
    )


@pytest.fixture
def handmade_examples() -> list[DialogueExample]:
    return [example_from_format(d) for d in handmade_dialogues()]


@pytest.fixture(scope="session")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory, tiny_encoder: str) -> Any:
    """A tiny model trained briefly with a held-out part (so it has temperatures), and its checkpoint."""
    from models_app.ml.train import train_model

    examples = [example_from_format(d) for d in handmade_dialogues()] * 3
    config = ModelConfig(
        encoder=tiny_encoder,
        context_width=32,
        context_layers=1,
        context_heads=2,
        categorical_dim=4,
        numerical_dim=4,
        max_tokens=96,
    )
    trained = train_model(examples[:8], examples[8:], config, fast_train_config(epochs=5))
    path = Path(tmp_path_factory.mktemp("checkpoint")) / "model"
    trained.save(path)
    return trained, path
