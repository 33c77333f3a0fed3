"""A chunked job's progress, as the pages and the API poll it: it moves within a chunk and never goes
back, not even when a chunk is done again after the worker doing it died."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection

from jobs.models import Job, JobChunk
from jobs.services import job_chunk_run, job_plan
from models_app import job_services
from models_app.job_services import LABEL_JOB

pytestmark = pytest.mark.django_db


class ProgressSeen:
    """Reads the job's progress from the database after every statement that changes the job's row,
    through the connection's own DB-API cursor (so the reading is not itself watched)."""

    def __init__(self, job: Job) -> None:
        self.job_pk = job.pk
        self.values: list[int] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "jobs_job"'):
            cursor = context["connection"].connection.cursor()
            cursor.execute(f'SELECT progress_done FROM "jobs_job" WHERE id = {int(self.job_pk)}')
            self.values.append(cursor.fetchone()[0])
            cursor.close()
        return result


class WorkerDiesOnTheThirdRead:
    """The worker doing the chunk dies while it reads the third part's turns (after it counted two)."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if 'FROM "annotations_turn"' in sql and '"annotations_turn"."position"' in sql:
            self.reads += 1
            if self.reads == 3:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def test_a_chunk_done_again_after_its_worker_died_never_takes_progress_back(
    simulated_dataset, model, monkeypatch
):
    monkeypatch.setattr(job_services, "PROGRESS_DIALOGUES", 4)  # six parts in the chunk, counted as they go
    job = Job.objects.create(
        kind=LABEL_JOB,
        dataset=simulated_dataset,
        params={
            "model": model.name,
            "model_version_id": model.pk,
            "precision": "fp32",
            "chunk_dialogues": 24,
            "dialogue_ids": None,
        },
    )
    job_plan(job=job)
    seen = ProgressSeen(job)

    with connection.execute_wrapper(seen):
        with connection.execute_wrapper(WorkerDiesOnTheThirdRead()), pytest.raises(OperationalError):
            job_chunk_run(job=job, index=0)
        counted_by_the_dead = Job.objects.get(pk=job.pk).progress_done
        job_chunk_run(job=job, index=0)  # the chunk is sent out again and done

    chunk = JobChunk.objects.get(job=job, index=0)
    assert counted_by_the_dead > 0
    assert seen.values == sorted(seen.values), f"progress went back: {seen.values}"
    assert seen.values[-1] == chunk.size == Job.objects.get(pk=job.pk).progress_total
    assert chunk.progress == chunk.size
