"""Shared argument handling for the model commands."""

from __future__ import annotations

import time

from django.core.management.base import CommandError
from tqdm import tqdm

from annotations.models import Dataset
from jobs.models import Job
from models_app.models import ModelVersion


def dataset_named(name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        raise CommandError(f"No dataset named {name!r}.")
    return dataset


def model_named(name: str) -> ModelVersion:
    model_version = ModelVersion.objects.filter(name=name).first()
    if model_version is None:
        raise CommandError(f"No model named {name!r}.")
    return model_version


def follow_job(job: Job, *, stdout, show_progress: bool = True, poll_seconds: float = 0.5) -> Job:
    """Show a job's progress until it ends; raise CommandError if it failed."""
    with tqdm(total=job.progress_total, desc=job.kind, disable=not show_progress) as bar:
        while True:
            job.refresh_from_db()
            bar.total = job.progress_total
            bar.n = job.progress_done
            bar.set_postfix_str(job.phase or job.status, refresh=False)
            bar.refresh()
            if job.is_finished:
                break
            time.sleep(poll_seconds)
    if job.status == Job.Status.FAILED:
        raise CommandError(f"Job {job.pk} failed: {job.error}")
    stdout.write(f"Job {job.pk} {job.status}.")
    return job


def add_async_arguments(parser) -> None:
    parser.add_argument(
        "--async",
        dest="run_async",
        action="store_true",
        help="run as a job in the Celery workers and follow its progress",
    )
    parser.add_argument(
        "--no-follow", action="store_true", help="with --async: print the job's id and return"
    )


class StageBar:
    """A tqdm bar per training stage (pretrain, train, calibrate), showing the latest loss or metric."""

    def __init__(self, *, disable: bool) -> None:
        self.disable = disable
        self.stage: str | None = None
        self.bar: tqdm | None = None

    def update(self, stage: str, done: int, total: int, info: dict) -> None:
        if self.disable:
            return
        if stage != self.stage:
            self.close()
            self.bar = tqdm(total=total, desc=stage, unit="step")
            self.stage = stage
        assert self.bar is not None
        self.bar.total = total
        self.bar.n = done
        shown = {key: value for key, value in info.items() if isinstance(value, int | float)}
        if shown:
            self.bar.set_postfix(
                {key: f"{value:.4g}" for key, value in list(shown.items())[:4]}, refresh=False
            )
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
