"""The recipe's command-line options, shared by ``manage.py recipe`` and ``bench/model_quality.py`` so
that the two cannot drift apart."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from models_app.ml.config import CONTEXT_FIELDS, ModelConfig, TrainConfig
from models_app.recipes.defaults import DIALOGUES_CONTEXT_FIELDS


def add_recipe_arguments(parser: argparse.ArgumentParser) -> None:
    """Data sizes, time and the model's inputs; every default is the recipe's own."""
    parser.add_argument("--train-dialogues", type=int, default=4000, help="simulated training dialogues")
    parser.add_argument("--test-dialogues", type=int, default=1000, help="held-out simulated dialogues")
    parser.add_argument("--real-dialogues", type=int, default=1500, help="SGD dialogues to train on")
    parser.add_argument(
        "--command-dialogues", type=int, default=1500, help="simulated dialogues giving single commands"
    )
    parser.add_argument(
        "--unlabelled-dialogues",
        type=int,
        default=0,
        help="other SGD training dialogues, read without their labels, for self-training",
    )
    parser.add_argument("--max-minutes", type=float, help="cap on each recipe's training time")
    parser.add_argument("--epochs", type=int, help="supervised epochs")
    parser.add_argument("--pretrain-epochs", type=int, help="contrastive pretraining epochs first")
    parser.add_argument(
        "--self-training-epochs", type=int, help="epochs on gold plus confident labels of unlabelled logs"
    )
    parser.add_argument("--self-training-threshold", type=float, help="least confidence kept as a label")
    parser.add_argument("--field-dropout", type=float, help="share of dialogues losing each log field")
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        help="training precision (default: the recipe's; auto = bf16 where the CPU has it in hardware)",
    )
    parser.add_argument("--threads", type=int, help="torch threads for training (default: every core)")
    parser.add_argument(
        "--context-fields",
        nargs="+",
        choices=CONTEXT_FIELDS,
        help="texts paired with each utterance (default: the recipe's own; dialogues: response next nlu)",
    )
    parser.add_argument(
        "--no-entity-evidence",
        action="store_true",
        help="leave out the entity evidence (are the assistant's slot values the words said?)",
    )


@dataclass
class RecipeConfigs:
    train_config: TrainConfig
    model_config: ModelConfig | None  # None: the recipe's default


_TRAIN_OPTIONS = {
    "epochs": "epochs",
    "pretrain_epochs": "pretrain_epochs",
    "self_training_epochs": "self_training_epochs",
    "self_training_threshold": "self_training_threshold",
    "field_dropout": "field_dropout",
    "precision": "precision",
    "threads": "threads",
}


def recipe_configs(recipe: str, options: dict[str, Any]) -> RecipeConfigs:
    """The recipe's TrainConfig with the options given on top; a ModelConfig only when an option
    changes the model (the recipe's own context fields unless others are named)."""
    context_default = DIALOGUES_CONTEXT_FIELDS if recipe == "dialogues" else ModelConfig().context_fields
    config = TrainConfig.snips() if recipe == "snips" else TrainConfig.dialogues()
    if options.get("max_minutes") is not None:
        config.max_seconds = options["max_minutes"] * 60
    for option, field in _TRAIN_OPTIONS.items():
        if options.get(option) is not None:
            setattr(config, field, options[option])
    model_config = None
    if options.get("context_fields") or options.get("no_entity_evidence"):
        model_config = ModelConfig(
            context_fields=tuple(options.get("context_fields") or context_default),
            evidence_features=not options.get("no_entity_evidence"),
        )
    return RecipeConfigs(config, model_config)
