"""python manage.py recipe snips|dialogues: import the recipe's data, train, print the evaluation JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_app.management.commands._common import StageBar
from models_app.ml.config import CONTEXT_FIELDS, ModelConfig, TrainConfig
from models_app.recipes.run import RECIPES, run_recipe
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Run a training recipe (snips; or dialogues: SGD, the NLU corpora and simulated dialogues) and print "
        "its evaluation (the dialogues recipe: real held-out sets beside simulated ones)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("recipe", choices=RECIPES)
        parser.add_argument(
            "--data-dir", type=Path, default=Path(settings.BASE_DIR).parent / "shared" / "data"
        )
        parser.add_argument("--name", help="the model's name (default: recipe-RECIPE)")
        parser.add_argument("--train-dialogues", type=int, default=4000, help="simulated training dialogues")
        parser.add_argument("--test-dialogues", type=int, default=1000, help="held-out simulated dialogues")
        parser.add_argument("--real-dialogues", type=int, default=1500, help="SGD dialogues to train on")
        parser.add_argument(
            "--command-dialogues", type=int, default=1500, help="simulated dialogues giving single commands"
        )
        parser.add_argument("--max-minutes", type=float, help="cap on training time")
        parser.add_argument("--epochs", type=int)
        parser.add_argument(
            "--context-fields",
            nargs="+",
            choices=CONTEXT_FIELDS,
            help="texts paired with each utterance (default: the recipe's own; dialogues: response next nlu)",
        )

    def handle(self, *args, **options) -> None:
        config = TrainConfig.snips() if options["recipe"] == "snips" else TrainConfig.dialogues()
        if options["max_minutes"] is not None:
            config.max_seconds = options["max_minutes"] * 60
        if options["epochs"] is not None:
            config.epochs = options["epochs"]
        # The recipe's own default context unless told otherwise.
        model_config = (
            ModelConfig(context_fields=tuple(options["context_fields"]))
            if options["context_fields"]
            else None
        )
        bar = StageBar(disable=options["verbosity"] == 0)
        try:
            metrics = run_recipe(
                options["recipe"],
                data_dir=options["data_dir"],
                model_name=options["name"],
                train_config=config,
                model_config=model_config,
                train_dialogues=options["train_dialogues"],
                test_dialogues=options["test_dialogues"],
                real_dialogues=options["real_dialogues"],
                command_dialogues=options["command_dialogues"],
                progress=bar.update,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            bar.close()
        self.stdout.write(json.dumps(metrics, sort_keys=True))
