"""The table from a job's kind to the Celery task that runs it.

Services name a kind; only this table names tasks. The tasks are found by their dotted path when a job
is enqueued, never imported by a service, so no service imports a task and no module imports another
in a circle (tasks import the services they call). ``tests/jobs/test_dispatch.py`` checks that every
kind has a task and that every path names one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Protocol

from django.utils.module_loading import import_string

from jobs.models import Job


class _Enqueueable(Protocol):
    def delay(self, *args: int) -> object: ...


# The task that runs a job of each kind from the top: it takes the job's id.
JOB_TASKS: Final[Mapping[str, str]] = {
    Job.Kind.IMPORT: "annotations.tasks.import_dialogues_task",
    Job.Kind.LABEL: "models_app.tasks.label_job_plan_task",
    Job.Kind.TRAIN: "models_app.tasks.train_job_task",
    Job.Kind.EVALUATE: "models_app.tasks.evaluate_job_task",
    Job.Kind.FIND_MOMENTS: "teachable.tasks.find_moments_job_task",
    Job.Kind.MINE_REWRITES: "rewrites.tasks.mine_rewrites_job_task",
    Job.Kind.BUILD_REWRITER: "rewrites.tasks.build_rewriter_job_task",
}

# The task that runs one chunk of a chunked job: it takes the job's id and the chunk's index.
CHUNK_TASKS: Final[Mapping[str, str]] = {
    Job.Kind.LABEL: "models_app.tasks.label_chunk_task",
}


def job_task(kind: str) -> _Enqueueable:
    task: _Enqueueable = import_string(JOB_TASKS[kind])
    return task


def chunk_task(kind: str) -> _Enqueueable:
    task: _Enqueueable = import_string(CHUNK_TASKS[kind])
    return task


def job_enqueue(*, job_id: int, kind: str) -> None:
    """Send the job to a worker: its kind's task runs it from the top."""
    job_task(kind).delay(job_id)


def job_chunks_enqueue(*, job_id: int, kind: str, indices: Iterable[int]) -> None:
    """Send chunks of a chunked job to the workers, one task each."""
    task = chunk_task(kind)
    for index in indices:
        task.delay(job_id, index)
