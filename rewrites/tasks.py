"""Celery tasks of the rewrites app: thin, they take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from jobs.running import job_run_to_the_end
from rewrites.building import rewriter_build_job_run
from rewrites.services import rewrites_mine_job_run


@shared_task(name="rewrites.mine_job")
def mine_rewrites_job_task(job_id: int) -> None:
    job_run_to_the_end(job_id, rewrites_mine_job_run)


@shared_task(name="rewrites.build_rewriter_job")
def build_rewriter_job_task(job_id: int) -> None:
    job_run_to_the_end(job_id, rewriter_build_job_run)
