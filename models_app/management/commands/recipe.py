"""python manage.py recipe snips|dialogues: import the recipe's data, train, print the evaluation JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_app.management.commands._common import StageBar
from models_app.recipes.arguments import add_recipe_arguments, recipe_configs
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
        add_recipe_arguments(parser)

    def handle(self, *args, **options) -> None:
        configs = recipe_configs(options["recipe"], options)
        bar = StageBar(disable=options["verbosity"] == 0)
        try:
            metrics = run_recipe(
                options["recipe"],
                data_dir=options["data_dir"],
                model_name=options["name"],
                train_config=configs.train_config,
                model_config=configs.model_config,
                train_dialogues=options["train_dialogues"],
                test_dialogues=options["test_dialogues"],
                real_dialogues=options["real_dialogues"],
                command_dialogues=options["command_dialogues"],
                unlabelled_dialogues=options["unlabelled_dialogues"],
                progress=bar.update,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            bar.close()
        self.stdout.write(json.dumps(metrics, sort_keys=True))
