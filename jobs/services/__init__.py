"""Every write to a job: its life on its row (``lifecycle``), its chunks (``chunks``), leases,
heartbeats and the reaper (``leases``), what it reports as it runs (``progress``), how a worker runs
it (``running``) and background actions (``background``). Other apps use only the names here."""

from __future__ import annotations

from jobs.services.background import background_call_on_commit
from jobs.services.chunks import job_chunk_failed, job_chunk_run, job_finish_if_complete, job_plan
from jobs.services.leases import (
    MAX_CHUNK_ATTEMPTS,
    job_chunk_claim,
    job_heartbeat,
    jobs_housekeeping,
    jobs_reap_lost,
)
from jobs.services.lifecycle import (
    JobNotRunnable,
    job_cancelled,
    job_create,
    job_enqueue_on_commit,
    job_fail,
    job_finish_if_running,
    job_params_update,
    job_request_cancel,
    job_retry,
    job_start,
    job_succeed,
    lease_seconds,
    runner_id,
)
from jobs.services.progress import JobCancelCheck, JobProgress
from jobs.services.running import job_run

__all__ = [
    "MAX_CHUNK_ATTEMPTS",
    "JobCancelCheck",
    "JobNotRunnable",
    "JobProgress",
    "background_call_on_commit",
    "job_cancelled",
    "job_chunk_claim",
    "job_chunk_failed",
    "job_chunk_run",
    "job_create",
    "job_enqueue_on_commit",
    "job_fail",
    "job_finish_if_complete",
    "job_finish_if_running",
    "job_heartbeat",
    "job_params_update",
    "job_plan",
    "job_request_cancel",
    "job_retry",
    "job_run",
    "job_start",
    "job_succeed",
    "jobs_housekeeping",
    "jobs_reap_lost",
    "lease_seconds",
    "runner_id",
]
