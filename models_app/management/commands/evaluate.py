"""python manage.py evaluate --dataset D --model NAME: one JSON object of metrics against gold."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_app.management.commands._common import dataset_named, model_named
from models_app.predictors import PRECISIONS
from models_app.services import model_evaluate
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Evaluate a model against a dataset's gold labels; prints one JSON object."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--model", required=True)
        parser.add_argument("--precision", choices=PRECISIONS, default="fp32")

    def handle(self, *args, dataset: str, model: str, precision: str, **options) -> None:
        try:
            metrics = model_evaluate(
                dataset=dataset_named(dataset), model_version=model_named(model), precision=precision
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(json.dumps(metrics, sort_keys=True))
