"""What every fault probe of bench/faults.py starts from (a tiny model, reviewers' tokens, a file to
import) and the steps they share: a site of their own, a dataset to label, a job started and checked."""

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _faults_support import (
    Api,
    Site,
    job_finished,
    job_midway,
    jobs_succeeded,
    labels_exactly_once,
    wait,
)

REVIEW_DIALOGUES = 8  # the reviewers share these: collisions are the point
JOB_SECONDS = 300  # the longest a probe waits for its jobs after the fault


@dataclass
class World:
    """What every probe starts from: a tiny model, reviewers' tokens, an admin's, a file to import."""

    folder: Path
    model: Any
    admin: Any
    admin_token: str
    review_dialogues: list[int]
    reviewer_tokens: list[str]
    import_file: Path
    import_lines: int


def prepare(args: argparse.Namespace, folder: Path) -> World:
    from django.contrib.auth import get_user_model

    from accounts.services import api_token_create
    from annotations.models import Dialogue, Membership, Role
    from models_app.ml.config import ModelConfig, TrainConfig
    from models_app.ml.encoder import build_tiny_encoder
    from models_app.recipes import run as recipes
    from models_app.services import model_train

    with contextlib.redirect_stdout(sys.stderr):
        training = recipes.simulated_dataset("train", 24, users=6, seed=3)
        model = model_train(
            name="tiny",
            datasets=[training],
            model_config=ModelConfig(
                encoder=build_tiny_encoder(folder / "encoder"),
                context_width=32,
                context_layers=1,
                context_heads=2,
                max_tokens=32,
            ),
            train_config=TrainConfig(epochs=1, batch_size=16, validation_fraction=0.25, threads=1),
        )
        review = recipes.simulated_dataset("review", 40, users=10, seed=4)
        import_file = folder / "incoming.jsonl"
        recipes._simulate(import_file, dialogues=args.import_dialogues, users=100, seed=6)
    users = get_user_model().objects
    admin = users.create_user("soak-admin")
    for dataset in (review, training):
        Membership.objects.get_or_create(dataset=dataset, user=admin, defaults={"role": Role.ADMIN})
    tokens = []
    for number in range(args.reviewers):
        user = users.create_user(f"soak-reviewer-{number}")
        Membership.objects.create(dataset=review, user=user, role=Role.REVIEWER)
        tokens.append(api_token_create(user=user, name="soak")[1])
    dialogues = list(Dialogue.objects.filter(dataset=review).order_by("pk").values_list("pk", flat=True))
    return World(
        folder=folder,
        model=model,
        admin=admin,
        admin_token=api_token_create(user=admin, name="soak")[1],
        review_dialogues=dialogues[:REVIEW_DIALOGUES],
        reviewer_tokens=tokens,
        import_file=import_file,
        import_lines=sum(1 for line in import_file.open() if line.strip()),
    )


# --- what the probes share ---------------------------------------------------------------------------


def _site(world: World, name: str, port: int, broker: str | None = None) -> Site:
    folder = world.folder / name
    folder.mkdir(parents=True, exist_ok=True)
    broker = broker or os.environ.get("CELERY_BROKER_URL") or f"sqla+sqlite:///{folder / 'broker.sqlite3'}"
    return Site(folder=folder, port=port, broker=broker)


def _labelling_dataset(world: World, name: str, dialogues: int) -> Any:
    from annotations.models import Membership, Role
    from models_app.recipes import run as recipes

    with contextlib.redirect_stdout(sys.stderr):
        dataset = recipes.simulated_dataset(name, dialogues, users=50, seed=5)
    Membership.objects.get_or_create(dataset=dataset, user=world.admin, defaults={"role": Role.ADMIN})
    return dataset


def _start_labelling(api: Api, dataset: Any, model: Any) -> int:
    status, job, _ = api.call("POST", f"/api/datasets/{dataset.name}/labelling-jobs/", {"model": model.name})
    assert status == 202, (status, job)
    return int(job["id"])


def _start_import(api: Api, world: World, name: str) -> int:
    api.call("POST", "/api/datasets/", {"name": name})
    status, job, _ = api.call(
        "POST",
        f"/api/datasets/{name}/imports/",
        raw=world.import_file.read_bytes(),
        content_type="application/x-ndjson",
    )
    assert status == 202, (status, job)
    return int(job["id"])


def _wait_midway(job_id: int) -> None:
    wait(lambda: job_midway(job_id) or job_finished(job_id), JOB_SECONDS, f"job {job_id} to be midway")
    if job_finished(job_id):
        raise TimeoutError(f"job {job_id} ended before the fault could be injected: give it more dialogues")


def _verify_labelling(job_id: int, dataset: Any, world: World) -> tuple[list[str], list[str]]:
    verified, problems = [], []
    for check in (jobs_succeeded([job_id]), labels_exactly_once(dataset, world.model)):
        verified.append(check[0])
        problems += check[1]
    return verified, problems
