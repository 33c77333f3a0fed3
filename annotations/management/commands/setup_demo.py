"""python manage.py setup_demo: the demo admin, a simulated demo dataset and a demo model, once.

Run by ``make run``; running it again changes nothing and prints how to log in. The demo model is
trained on simulated dialogues of other people ("demo-training") and labels the demo dataset, so its
labels can be compared with the demo dataset's own gold.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from annotations.importing import ImportSource, import_dialogues
from annotations.models import Role
from annotations.services import dataset_get_or_create, membership_set
from simulator.cli import main as simulate

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "selflearn"
DEMO_DATASET = "demo"
DEMO_TRAINING_DATASET = "demo-training"
DEMO_MODEL = "demo"


class Command(BaseCommand):
    help = "Create the demo admin and import a simulated demo dataset (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dialogues", type=int, default=300, help="size of the demo dataset")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, dialogues: int, seed: int, **options) -> None:
        admin = self._demo_admin()
        dataset = dataset_get_or_create(name=DEMO_DATASET, user=admin)
        membership_set(dataset=dataset, user=admin, role=Role.ADMIN)
        if dataset.dialogues.exists():
            self.stdout.write(
                f"The {DEMO_DATASET!r} dataset is ready ({dataset.dialogues.count()} dialogues)."
            )
        else:
            with tempfile.TemporaryDirectory(prefix="selflearn-demo-") as folder:
                path = Path(folder) / "demo.jsonl"
                simulate(
                    ["--dialogues", str(dialogues), "--users", "40", "--seed", str(seed), "--out", str(path)]
                )
                report = import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
            self.stdout.write(self.style.SUCCESS(report.summary()))
        self.stdout.write(f"Log in as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}.")

    def _demo_admin(self):
        users = get_user_model().objects
        admin = users.filter(username=DEMO_USERNAME).first()
        if admin is None:
            admin = users.create_superuser(DEMO_USERNAME, email="", password=DEMO_PASSWORD)
            self.stdout.write(self.style.SUCCESS(f"Created the demo admin {DEMO_USERNAME!r}."))
        return admin
