"""python manage.py label --dataset D --model NAME [--precision fp32|bf16|int8]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from models_app.job_services import label_job_create
from models_app.management.commands._common import add_async_arguments, dataset_named, follow_job, model_named
from models_app.ml.hardware import AUTO
from models_app.predictors import PRECISIONS
from models_app.services import DEFAULT_LABEL_CHUNK_SIZE, label_dataset
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Write a model's labels, with confidences, on every dialogue of a dataset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--model", required=True)
        parser.add_argument(
            "--precision",
            choices=PRECISIONS,
            default=AUTO,
            help="auto: bf16 where the CPU has it in hardware, else fp32",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=DEFAULT_LABEL_CHUNK_SIZE, help="dialogues per chunk"
        )
        add_async_arguments(parser)

    def handle(self, *args, dataset: str, model: str, precision: str, chunk_size: int, **options) -> None:
        found, model_version = dataset_named(dataset), model_named(model)
        if options["run_async"]:
            try:
                job = label_job_create(
                    dataset=found,
                    model_version=model_version,
                    user=None,
                    precision=precision,
                    chunk_dialogues=chunk_size,
                )
            except ApplicationError as error:
                raise CommandError(error.message) from error
            self.stdout.write(f"Started labelling job {job.pk}.")
            if not options["no_follow"]:
                follow_job(job, stdout=self.stdout, show_progress=options["verbosity"] > 0)
            return
        with tqdm(total=found.dialogues.count(), unit="dialogues", disable=options["verbosity"] == 0) as bar:

            def advance(done: int, total: int) -> None:
                bar.n = done
                bar.refresh()

            try:
                report = label_dataset(
                    dataset=found,
                    model_version=model_version,
                    precision=precision,
                    chunk_size=chunk_size,
                    progress=advance,
                )
            except ApplicationError as error:
                raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Labelled {report.dialogues} dialogues ({report.turns} turns) of {dataset!r} with "
                f"{model!r}: {report.labels_written} labels written."
            )
        )
