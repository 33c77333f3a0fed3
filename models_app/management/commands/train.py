"""python manage.py train --dataset A [--dataset B ...] --name NAME [--epochs N] [--valid-dataset V]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_app.job_services import train_job_create
from models_app.management.commands._common import StageBar, add_async_arguments, dataset_named, follow_job
from models_app.ml.config import CONTEXT_FIELDS, ModelConfig, TrainConfig
from models_app.services import model_train
from selflearn_site.exceptions import ApplicationError

PRESETS = TrainConfig.PRESETS


class Command(BaseCommand):
    help = "Train a label generation model on datasets' gold labels and register it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset", action="append", required=True, help="a dataset to train on (repeat)"
        )
        parser.add_argument(
            "--valid-dataset",
            action="append",
            default=[],
            help="held-out data for model selection and calibration (default: a part of the training data)",
        )
        parser.add_argument(
            "--unlabelled-dataset",
            action="append",
            default=[],
            help="logs read without their labels, for self-training (repeatable)",
        )
        parser.add_argument(
            "--self-training-epochs",
            type=int,
            help="epochs on the gold plus the model's confident labels of the unlabelled logs (default 1)",
        )
        parser.add_argument("--name", required=True, help="the new model version's name")
        parser.add_argument(
            "--preset", choices=PRESETS, default="default", help="training settings to start from"
        )
        parser.add_argument("--epochs", type=int, help="supervised epochs (overrides the preset)")
        parser.add_argument("--pretrain-epochs", type=int, help="contrastive pretraining epochs")
        parser.add_argument("--max-minutes", type=float, help="stop training after this long")
        parser.add_argument(
            "--encoder", help="a Hugging Face encoder path or name (default: packaged MiniLM)"
        )
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--context-fields",
            nargs="+",
            choices=CONTEXT_FIELDS,
            help="texts paired with each utterance (default: response)",
        )
        add_async_arguments(parser)

    def handle(self, *args, **options) -> None:
        if options["run_async"]:
            self._start_job(options)
            return
        train_config = TrainConfig.preset(options["preset"])
        for option, field in (("epochs", "epochs"), ("pretrain_epochs", "pretrain_epochs"), ("seed", "seed")):
            if options[option] is not None:
                setattr(train_config, field, options[option])
        if options["max_minutes"] is not None:
            train_config.max_seconds = options["max_minutes"] * 60
        if options["unlabelled_dataset"]:
            train_config.self_training_epochs = options["self_training_epochs"] or 1
        model_config = ModelConfig.for_preset(options["preset"])
        if options["encoder"]:
            model_config.encoder = options["encoder"]
        if options["context_fields"]:
            model_config.context_fields = tuple(options["context_fields"])
        bar = StageBar(disable=options["verbosity"] == 0)
        try:
            model_version = model_train(
                name=options["name"],
                datasets=[dataset_named(name) for name in options["dataset"]],
                valid_datasets=[dataset_named(name) for name in options["valid_dataset"]],
                unlabelled_datasets=[dataset_named(name) for name in options["unlabelled_dataset"]],
                train_config=train_config,
                model_config=model_config,
                progress=bar.update,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"Trained {model_version.name!r}: {model_version.checkpoint_path}")
        )
        self.stdout.write(json.dumps(model_version.metrics, indent=2, sort_keys=True))

    def _start_job(self, options: dict) -> None:
        foreground_only = ("encoder", "max_minutes", "pretrain_epochs", "seed", "context_fields")
        if any(options[name] for name in foreground_only):
            raise CommandError(
                "--async takes --preset, --epochs and the self-training options; the other settings need a "
                "foreground run"
            )
        try:
            job = train_job_create(
                name=options["name"],
                datasets=[dataset_named(name) for name in options["dataset"]],
                valid_datasets=[dataset_named(name) for name in options["valid_dataset"]],
                unlabelled_datasets=[dataset_named(name) for name in options["unlabelled_dataset"]],
                user=None,
                preset=options["preset"],
                epochs=options["epochs"],
                self_training_epochs=options["self_training_epochs"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Started training job {job.pk}.")
        if not options["no_follow"]:
            follow_job(job, stdout=self.stdout, show_progress=options["verbosity"] > 0)
