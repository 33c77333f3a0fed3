"""A tiny random-weight encoder and a small simulated dataset: enough to train, label and evaluate
through the real code paths in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.importing import ImportSource, import_dialogues
from annotations.models import Dataset
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.encoder import build_tiny_encoder
from simulator.cli import main as simulate


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> str:
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture
def tiny_model_config(tiny_encoder) -> ModelConfig:
    return ModelConfig(
        encoder=tiny_encoder, context_width=32, context_layers=1, context_heads=2, max_tokens=32
    )


@pytest.fixture
def quick_train_config() -> TrainConfig:
    return TrainConfig(epochs=1, batch_size=16, validation_fraction=0.25, threads=1)


@pytest.fixture
def simulated_dataset(db, tmp_path: Path) -> Dataset:
    path = tmp_path / "sim.jsonl"
    simulate(["--dialogues", "24", "--users", "6", "--seed", "3", "--out", str(path)])
    dataset = Dataset.objects.create(name="simulated")
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    return dataset
