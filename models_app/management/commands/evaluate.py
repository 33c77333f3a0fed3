"""python manage.py evaluate --dataset D --model NAME: one JSON object of metrics against gold."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_app.job_services import evaluate_job_create
from models_app.management.commands._common import add_async_arguments, dataset_named, follow_job, model_named
from models_app.ml.hardware import AUTO
from models_app.predictors import PRECISIONS
from models_app.services import model_evaluate
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Evaluate a model against a dataset's gold labels; prints one JSON object."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--model", required=True)
        parser.add_argument(
            "--precision",
            choices=PRECISIONS,
            default=AUTO,
            help="auto: bf16 where the CPU has it in hardware, else fp32",
        )
        add_async_arguments(parser)

    def handle(self, *args, dataset: str, model: str, precision: str, **options) -> None:
        if options["run_async"]:
            job = evaluate_job_create(
                dataset=dataset_named(dataset), model_version=model_named(model), user=None
            )
            self.stderr.write(f"Started evaluation job {job.pk}.")
            if not options["no_follow"]:
                job = follow_job(job, stdout=self.stderr, show_progress=options["verbosity"] > 0)
                self.stdout.write(json.dumps(job.result, sort_keys=True))
            return
        try:
            metrics = model_evaluate(
                dataset=dataset_named(dataset), model_version=model_named(model), precision=precision
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(json.dumps(metrics, sort_keys=True))
