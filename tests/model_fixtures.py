"""A tiny random-weight encoder and simulated datasets: enough to train, label and evaluate through the
real code paths in seconds. Registered for every test folder by tests/conftest.py."""

from __future__ import annotations

import pytest

from annotations.models import Dataset
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.recipes import run as recipes


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> str:
    from models_app.ml.encoder import build_tiny_encoder  # torch loads only for the tests that need it

    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture
def tiny_model_config(tiny_encoder) -> ModelConfig:
    return ModelConfig(
        encoder=tiny_encoder, context_width=32, context_layers=1, context_heads=2, max_tokens=32
    )


@pytest.fixture
def quick_train_config() -> TrainConfig:
    return TrainConfig(epochs=1, batch_size=16, validation_fraction=0.25, threads=1)


def simulated(name: str, dialogues: int, seed: int = 3) -> Dataset:
    """A dataset of simulated dialogues, imported through the real importer."""
    return recipes.simulated_dataset(name, dialogues, users=max(2, dialogues // 4), seed=seed)


@pytest.fixture
def simulated_dataset(db) -> Dataset:
    return simulated("simulated", 24)


@pytest.fixture
def model(simulated_dataset, tiny_model_config, quick_train_config, settings, tmp_path):
    """A model version "tiny" trained for one quick epoch on the simulated dataset."""
    from models_app.services import model_train

    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"
    return model_train(
        name="tiny",
        datasets=[simulated_dataset],
        model_config=tiny_model_config,
        train_config=quick_train_config,
    )
