"""jobs.dispatch is the one table from a job's kind to the Celery task that runs it."""

from __future__ import annotations

from celery import Task

from jobs.dispatch import CHUNK_TASKS, JOB_TASKS, chunk_task, job_task
from jobs.models import Job


def test_every_kind_of_job_has_a_task_and_each_path_names_a_celery_task():
    assert set(JOB_TASKS) == set(Job.Kind.values)
    for kind in JOB_TASKS:
        assert isinstance(job_task(kind), Task), kind
    for kind in CHUNK_TASKS:
        assert isinstance(chunk_task(kind), Task), kind


def test_a_labelling_job_plans_itself_and_runs_its_chunks_by_name():
    assert job_task(Job.Kind.LABEL).name == "models_app.label_job_plan"
    assert chunk_task(Job.Kind.LABEL).name == "models_app.label_chunk"
