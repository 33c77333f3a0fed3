"""python manage.py setup_demo: the demo admin, a simulated demo dataset and a demo model, once.

Run by ``make run``; running it again changes nothing and prints how to log in. The demo models are
trained on simulated dialogues of other people ("demo-training") and label the demo dataset, so their
labels can be compared with the demo dataset's own gold. They train as jobs in the worker that
``make run`` starts (the site serves at once, the Jobs page shows the training, and the demo's pages
say labels are coming): first a quick model, time-boxed so that its labels show within minutes on
any CPU, then the full one, whose proposals replace the quick model's (the newest model's proposal
is the one under review). ``--foreground`` trains the full model and labels here instead.
The size comes from settings (``SELFLEARN_DEMO_TRAINING_DIALOGUES``, ``SELFLEARN_DEMO_EPOCHS``), so a
worker can be given a smaller demo, as CI's first-run test does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from annotations.membership_services import membership_set
from annotations.models import Dataset, Role
from annotations.services import dataset_get_or_create
from jobs.models import Job
from models_app.job_services import TRAIN_JOB, train_job_create
from models_app.management.commands._common import StageBar
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.hardware import cpu_info
from models_app.models import ModelVersion
from models_app.recipes.defaults import DEMO_DIALOGUES, DEMO_SEED, DEMO_TRAINING, FollowUp, SimulatedSet
from models_app.recipes.run import simulated_dataset
from models_app.selectors import DEMO_STEPS_PER_EPOCH, preset_costs
from models_app.services import label_dataset, model_evaluate, model_train
from rewrites.services import MiningOptions, rewriter_build, rewrites_mine
from selflearn_site.exceptions import ApplicationError
from teachable.services import preferences_learn_from_labels, teachable_dataset_prepare

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "selflearn"
DEMO_DATASET = "demo"
DEMO_TRAINING_DATASET = "demo-training"
DEMO_MODEL = "demo"
DEMO_QUICK_MODEL = "demo-quick"


class Command(BaseCommand):
    help = "Create the demo admin, a simulated demo dataset and a demo model (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dialogues", type=int, default=DEMO_DIALOGUES, help="size of the demo dataset")
        parser.add_argument("--seed", type=int, default=DEMO_SEED)
        parser.add_argument(
            "--training-dialogues",
            type=int,
            default=None,
            help="simulated dialogues of other people the demo models train on "
            f"(default: SELFLEARN_DEMO_TRAINING_DIALOGUES, {DEMO_TRAINING.dialogues:,} unless set)",
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
        training_dialogues: int | None,
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
        # Rewriting: pairs mined from the demo's rephrases (to review) and an online rewriter. Every
        # pair, even one chain's: in 300 dialogues a failed wording rarely fails twice, so the default
        # least support of two chains found one pair, then none once the simulator's draws moved. The
        # page shows each pair's support.
        try:
            mined = rewrites_mine(dataset=dataset, options=MiningOptions(labels="gold", min_support=1))
            rewriter_build(dataset=dataset, labels="gold")
        except ApplicationError as error:  # a tiny demo may have no rephrases yet
            self.stdout.write(f"No rewrites yet: {error.message}")
        else:
            self.stdout.write(
                f"Mined {mined['pairs']} rewrite pairs to review; the online rewriter is built."
            )
        if not no_model and not ModelVersion.objects.filter(name=DEMO_MODEL).exists():
            training_dialogues = training_dialogues or settings.SELFLEARN_DEMO_TRAINING_DIALOGUES
            people = max(10, training_dialogues // 10)  # as many dialogues per person as the default
            training_set = SimulatedSet(training_dialogues, people, DEMO_TRAINING.seed, DEMO_TRAINING.profile)
            if foreground:
                training = self._simulated_dataset(
                    DEMO_TRAINING_DATASET,
                    training_set.dialogues,
                    users=training_set.users,
                    seed=training_set.seed,
                    admin=admin,
                    profile=training_set.profile,
                )
                self._train_here(training, dataset, admin, quiet=options["verbosity"] == 0)
            else:
                self._train_in_the_worker(training_set, dataset, admin)
        self.stdout.write(f"Log in as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}.")

    def _train_in_the_worker(self, training_set: SimulatedSet, dataset: Dataset, admin) -> None:
        """The demo models train as jobs the Jobs page shows, filed under the demo dataset (whose
        pages say labels are on their way): the worker simulates their training dialogues (so the
        site serves at once), trains the quick model, which labels the demo and is measured on the
        demo's gold, then trains the full model, which does the same."""
        waiting = Job.objects.filter(
            kind=TRAIN_JOB,
            dataset=dataset,
            status__in=(Job.Status.PENDING, Job.Status.RUNNING),
        ).first()
        if waiting is None:
            training = dataset_get_or_create(name=DEMO_TRAINING_DATASET, user=admin)
            membership_set(dataset=training, user=admin, role=Role.ADMIN)
            epochs = settings.SELFLEARN_DEMO_EPOCHS
            full = FollowUp(name=DEMO_MODEL, preset="demo", epochs=epochs)
            quick_exists = ModelVersion.objects.filter(name=DEMO_QUICK_MODEL).exists()
            waiting = train_job_create(
                name=full.name if quick_exists else DEMO_QUICK_MODEL,
                dataset=dataset,
                datasets=[training],
                user=admin,
                preset=full.preset if quick_exists else "demo_quick",
                epochs=epochs,
                label_after=[dataset],
                evaluate_after=[dataset],
                simulate={training.name: training_set},
                follow_up=None if quick_exists else full,
            )
        self.stdout.write(
            f"The demo models train in the worker (job #{waiting.pk}) and label the demo dataset: "
            f"{self._cost_on_this_cpu(training_set)} The Jobs page shows their progress."
        )

    def _cost_on_this_cpu(self, training_set: SimulatedSet) -> str:
        """What the two demo models cost here, from the presets' measured rates on this CPU."""
        cpu = cpu_info()
        costs = {cost.preset: cost for cost in preset_costs(cpu)}
        quick, full = costs["demo_quick"], costs["demo"]
        steps = round(DEMO_STEPS_PER_EPOCH * training_set.dialogues / DEMO_TRAINING.dialogues)
        epochs = settings.SELFLEARN_DEMO_EPOCHS or full.epochs
        full_minutes = full.minutes_for(steps * epochs)
        return (
            f"a quick model first ({quick.max_minutes:g} minutes at most), then the full one (about "
            f"{full_minutes:.0f} minutes in {full.precision} on this {cpu.model or 'CPU'})."
        )

    def _train_here(self, training: Dataset, dataset: Dataset, admin, *, quiet: bool) -> None:
        self.stdout.write(f"Training the demo model {DEMO_MODEL!r} here...")
        bar = StageBar(disable=quiet)
        try:
            model_version = model_train(
                name=DEMO_MODEL,
                datasets=[training],
                train_config=TrainConfig.demo(),
                model_config=ModelConfig.for_preset("demo"),
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

    def _simulated_dataset(
        self, name: str, dialogues: int, *, users: int, seed: int, admin, profile: str | None = None
    ) -> Dataset:
        existed = Dataset.objects.filter(name=name, dialogues__isnull=False).exists()
        dataset = simulated_dataset(name, dialogues, users=users, seed=seed, user=admin, profile=profile)
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
