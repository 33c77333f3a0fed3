"""python manage.py setup_demo: the demo admin, a simulated demo dataset and a demo model, once.

Run by ``make run``; running it again changes nothing and prints how to log in. The demo model is
trained on simulated dialogues of other people ("demo-training") and labels the demo dataset, so its
labels can be compared with the demo dataset's own gold. It trains as a job in the worker that
``make run`` starts (the site serves at once, the Jobs page shows the training, and the demo's pages
say its labels are coming); ``--foreground`` trains and labels here instead.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from annotations.membership_services import membership_set
from annotations.models import Dataset, Role
from annotations.services import dataset_get_or_create
from jobs.models import Job
from models_app.job_services import train_job_create
from models_app.management.commands._common import StageBar
from models_app.ml.config import TrainConfig
from models_app.models import ModelVersion
from models_app.recipes.defaults import DEMO_DIALOGUES, DEMO_SEED, DEMO_TRAINING, SimulatedSet
from models_app.recipes.run import simulated_dataset
from models_app.services import label_dataset, model_evaluate, model_train
from rewrites.services import MiningOptions, rewriter_build, rewrites_mine
from selflearn_site.exceptions import ApplicationError
from teachable.services import preferences_learn_from_labels, teachable_dataset_prepare

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "selflearn"
DEMO_DATASET = "demo"
DEMO_TRAINING_DATASET = "demo-training"
DEMO_MODEL = "demo"
# What the demo model costs on the 2-core machine (bench/demo_model.py).
DEMO_MINUTES = "about 17 minutes on one core"


class Command(BaseCommand):
    help = "Create the demo admin, a simulated demo dataset and a demo model (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dialogues", type=int, default=DEMO_DIALOGUES, help="size of the demo dataset")
        parser.add_argument("--seed", type=int, default=DEMO_SEED)
        parser.add_argument(
            "--training-dialogues",
            type=int,
            default=DEMO_TRAINING.dialogues,
            help="simulated dialogues of other people the demo model trains on",
        )
        parser.add_argument("--no-model", action="store_true", help="skip training and labelling")
        parser.add_argument(
            "--foreground",
            action="store_true",
            help="train and label here, now, instead of as a job in the worker (no worker needed)",
        )

    def handle(
        self,
        *args,
        dialogues: int,
        seed: int,
        training_dialogues: int,
        no_model: bool,
        foreground: bool,
        **options,
    ) -> None:
        admin = self._demo_admin()
        dataset = self._simulated_dataset(DEMO_DATASET, dialogues, users=40, seed=seed, admin=admin)
        # Teaching: the catalogues, the "learn my preferences" questions and the resolution rules, and
        # what the demo's people stated in their logs (its imported gold), in the preference store.
        teachable_dataset_prepare(dataset=dataset)
        learned = preferences_learn_from_labels(dataset=dataset)
        self.stdout.write(f"The preference store knows {learned.learned} preferences of the demo's people.")
        # Rewriting: pairs mined from the demo's rephrases (to review) and an online rewriter.
        try:
            mined = rewrites_mine(dataset=dataset, options=MiningOptions(labels="gold", min_support=2))
            rewriter_build(dataset=dataset, labels="gold")
        except ApplicationError as error:  # a tiny demo may have no rephrases yet
            self.stdout.write(f"No rewrites yet: {error.message}")
        else:
            self.stdout.write(
                f"Mined {mined['pairs']} rewrite pairs to review; the online rewriter is built."
            )
        if not no_model and not ModelVersion.objects.filter(name=DEMO_MODEL).exists():
            people = max(10, training_dialogues // 10)  # as many dialogues per person as the default
            training_set = SimulatedSet(training_dialogues, people, DEMO_TRAINING.seed)
            if foreground:
                training = self._simulated_dataset(
                    DEMO_TRAINING_DATASET,
                    training_set.dialogues,
                    users=training_set.users,
                    seed=training_set.seed,
                    admin=admin,
                )
                self._train_here(training, dataset, admin, quiet=options["verbosity"] == 0)
            else:
                self._train_in_the_worker(training_set, dataset, admin)
        self.stdout.write(f"Log in as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}.")

    def _train_in_the_worker(self, training_set: SimulatedSet, dataset: Dataset, admin) -> None:
        """The demo model trains as a job the Jobs page shows, filed under the demo dataset (whose
        pages say it is on its way): the worker simulates its training dialogues (so the site serves
        at once), trains, then labels the demo and measures the model on the demo's gold."""
        waiting = Job.objects.filter(
            kind=Job.Kind.TRAIN,
            dataset=dataset,
            status__in=(Job.Status.PENDING, Job.Status.RUNNING),
        ).first()
        if waiting is None:
            training = dataset_get_or_create(name=DEMO_TRAINING_DATASET, user=admin)
            membership_set(dataset=training, user=admin, role=Role.ADMIN)
            waiting = train_job_create(
                name=DEMO_MODEL,
                dataset=dataset,
                datasets=[training],
                user=admin,
                preset="demo",
                label_after=[dataset],
                evaluate_after=[dataset],
                simulate={training.name: training_set},
            )
        self.stdout.write(
            f"The demo model trains in the worker (job #{waiting.pk}, {DEMO_MINUTES}) and then "
            "labels the demo dataset; the Jobs page shows its progress."
        )

    def _train_here(self, training: Dataset, dataset: Dataset, admin, *, quiet: bool) -> None:
        self.stdout.write(f"Training the demo model {DEMO_MODEL!r} ({DEMO_MINUTES})...")
        bar = StageBar(disable=quiet)
        try:
            model_version = model_train(
                name=DEMO_MODEL,
                datasets=[training],
                train_config=TrainConfig.demo(),
                progress=bar.update,
                user=admin,
            )
        finally:
            bar.close()
        report = label_dataset(dataset=dataset, model_version=model_version)
        model_evaluate(dataset=dataset, model_version=model_version)
        self.stdout.write(
            self.style.SUCCESS(
                f"Labelled {report.dialogues} demo dialogues: {report.labels_written} model labels to review."
            )
        )

        self.stdout.write(f"Log in as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}.")

    def _simulated_dataset(self, name: str, dialogues: int, *, users: int, seed: int, admin) -> Dataset:
        existed = Dataset.objects.filter(name=name, dialogues__isnull=False).exists()
        dataset = simulated_dataset(name, dialogues, users=users, seed=seed, user=admin)
        membership_set(dataset=dataset, user=admin, role=Role.ADMIN)
        verb = "is ready" if existed else "was simulated and imported"
        self.stdout.write(f"The {name!r} dataset {verb} ({dataset.dialogues.count()} dialogues).")
        return dataset

    def _demo_admin(self):
        users = get_user_model().objects
        admin = users.filter(username=DEMO_USERNAME).first()
        if admin is None:
            admin = users.create_superuser(DEMO_USERNAME, email="", password=DEMO_PASSWORD)
            self.stdout.write(self.style.SUCCESS(f"Created the demo admin {DEMO_USERNAME!r}."))
        return admin
