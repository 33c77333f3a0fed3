"""The one place that names the Celery tasks: jobs are sent to ``jobs.tasks`` by dotted path, so the
services that send them never import a task (the tasks import the services they call, and a service
importing a task would close a circle). ``tests/jobs/test_dispatch.py`` checks each path names a task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Protocol

from django.utils.module_loading import import_string


class _Enqueueable(Protocol):
    def delay(self, *args: Any, **kwargs: Any) -> object: ...


JOB_TASK: Final = "jobs.tasks.job_run_task"  # runs a job from the top (a one-task job, or a plan)
CHUNK_TASK: Final = "jobs.tasks.job_chunk_task"  # runs one chunk of a chunked job
BACKGROUND_TASK: Final = "jobs.tasks.background_action_task"  # runs an app's background action


def task(path: str) -> _Enqueueable:
    found: _Enqueueable = import_string(path)
    return found


def job_enqueue(*, job_id: int) -> None:
    """Send the job to a worker: it runs from the top."""
    task(JOB_TASK).delay(job_id)


def job_chunks_enqueue(*, job_id: int, indices: Iterable[int]) -> None:
    """Send chunks of a chunked job to the workers, one task each."""
    chunk_task = task(CHUNK_TASK)
    for index in indices:
        chunk_task.delay(job_id, index)


def background_enqueue(*, name: str, kwargs: dict[str, Any]) -> None:
    task(BACKGROUND_TASK).delay(name, kwargs)
