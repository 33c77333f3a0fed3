"""The training recipes anyone can rerun: each imports its data, trains a model and evaluates it.

- ``snips``: SNIPS train, model selection on SNIPS valid, evaluation on SNIPS valid.
- ``dialogues``: simulated dialogues plus the NLU corpora (SNIPS, HWU64, SLURP) jointly, selection on
  simulated validation dialogues, evaluation on held-out simulated dialogues (other seeds, other people).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from annotations.formats.importing import ImportOptions, ImportSource, import_dialogues
from annotations.models import Dataset
from annotations.services import dataset_get_or_create
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.models import ModelVersion
from models_app.recipes.corpora import corpus_dialogues
from models_app.services import model_evaluate, model_train
from simulator.cli import main as simulate

RECIPES = ("snips", "dialogues")
Progress = Callable[[str, int, int, dict], None]


def run_recipe(
    name: str,
    *,
    data_dir: Path,
    model_name: str | None = None,
    train_config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    train_dialogues: int = 4000,
    test_dialogues: int = 1000,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Prepare the recipe's datasets (once), train a fresh model and return its evaluation."""
    model_name = model_name or f"recipe-{name}"
    ModelVersion.objects.filter(name=model_name).delete()  # a rerun replaces the recipe's own model
    if name == "snips":
        train = [_corpus_dataset("snips", "train", data_dir)]
        valid = [_corpus_dataset("snips", "valid", data_dir)]
        test = valid[0]
        config = train_config or TrainConfig.snips()
    elif name == "dialogues":
        users = max(10, train_dialogues // 8)
        train = [
            simulated_dataset("sim-train", train_dialogues, users=users, seed=101),
            *(_corpus_dataset(corpus, "train", data_dir) for corpus in ("snips", "hwu64", "slurp")),
        ]
        valid = [
            simulated_dataset("sim-valid", max(100, test_dialogues // 2), users=max(10, users // 4), seed=202)
        ]
        test = simulated_dataset("sim-test", test_dialogues, users=max(10, users // 4), seed=303)
        config = train_config or TrainConfig.dialogues()
    else:
        raise ValueError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    model_version = model_train(
        name=model_name,
        datasets=train,
        valid_datasets=valid,
        train_config=config,
        model_config=model_config,
        progress=progress,
    )
    return model_evaluate(dataset=test, model_version=model_version)


def _corpus_dataset(corpus: str, split: str, data_dir: Path) -> Dataset:
    return _dataset_from_lines(f"{corpus}-{split}", lambda: corpus_dialogues(corpus, data_dir, split))


def simulated_dataset(
    name: str, dialogues: int, *, users: int, seed: int, user: User | None = None
) -> Dataset:
    """The dataset ``name`` holding ``dialogues`` simulated dialogues; made (and filled) once."""
    dataset = dataset_get_or_create(name=name, user=user)
    if not dataset.dialogues.exists():
        with tempfile.TemporaryDirectory(prefix="selflearn-recipe-") as folder:
            path = Path(folder) / f"{name}.jsonl"
            simulate(
                [
                    "--dialogues",
                    str(dialogues),
                    "--users",
                    str(users),
                    "--seed",
                    str(seed),
                    "--out",
                    str(path),
                ]
            )
            import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    return dataset


def _dataset_from_lines(name: str, lines: Callable[[], Any]) -> Dataset:
    dataset = dataset_get_or_create(name=name)
    if not dataset.dialogues.exists():
        with tempfile.TemporaryDirectory(prefix="selflearn-recipe-") as folder:
            path = Path(folder) / f"{name}.jsonl"
            with path.open("w", encoding="utf-8") as out:
                for dialogue in lines():
                    out.write(json.dumps(dialogue, ensure_ascii=False) + "\n")
            import_dialogues(
                source=ImportSource.from_path(path),
                dataset=dataset,
                options=ImportOptions(on_duplicate="error"),
            )
    return dataset
