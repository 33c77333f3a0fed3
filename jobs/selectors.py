"""Reads of Job rows, with the rules the pages and the API share: a person sees the jobs of the
datasets they belong to, as long as they belong to every dataset a job reads (a superuser sees every
job); the person who started a job (while they keep the role it takes) and the admins of its dataset
control it. Also a job's rate, ETA and chunk counts, and what a dataset's pages say about its jobs.

Who belongs to a dataset is the corpus app's to say (``jobs.registry.dataset_access``); the role a
kind takes to start is its registry entry's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jobs.models import Job, JobChunk
from jobs.registry import UnknownJobKind, dataset_access, job_kind


def job_list_for_user(user: User | AnonymousUser) -> QuerySet[Job]:
    """The jobs of datasets the person belongs to now, each only if they belong to every dataset the
    job reads (a training job's result names what it learned); a job of no dataset, to whoever
    started it. Starting a job gives no lasting right to it: a removed member loses its jobs."""
    if not user.is_authenticated:
        return Job.objects.none()
    jobs = Job.objects.select_related("dataset", "created_by")
    if user.is_superuser:
        return jobs
    mine = dataset_access().datasets_of(user).values("pk")
    foreign = Job.reads.through.objects.filter(job=OuterRef("pk")).exclude(dataset__in=mine)
    return jobs.filter(Q(dataset__in=mine) | Q(dataset=None, created_by=user)).filter(~Exists(foreign))


def job_get_for_user(user: User | AnonymousUser, pk: int) -> Job:
    """The job, or Http404 when it does not exist or the person may not see it."""
    job = job_list_for_user(user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job


def job_get_to_control(user: User | AnonymousUser, pk: int) -> Job:
    """The job for cancelling or retrying it: Http404 for those who may not see it, PermissionDenied for
    those who see it but may not control it."""
    job = job_get_for_user(user, pk)
    if not job_may_control(user, job):
        raise PermissionDenied("Only the person who started this job or an admin of its dataset may do this.")
    return job


def job_rate_and_eta(job: Job) -> tuple[float | None, float | None]:
    """Units done per second since the job started (till it finished), and the seconds left at that
    rate: None where there is nothing to measure yet, and no ETA once the job has ended."""
    if job.started_at is None or not job.progress_done:
        return None, None
    elapsed = ((job.finished_at or timezone.now()) - job.started_at).total_seconds()
    if elapsed <= 0:
        return None, None
    rate = job.progress_done / elapsed
    if job.is_finished or not job.progress_total:
        return round(rate, 3), None
    remaining = max(0, job.progress_total - job.progress_done)
    return round(rate, 3), round(remaining / rate, 1)


def job_chunk_counts(job: Job) -> dict[str, int]:
    """Chunks of the job by status, every status present (zeros included), in one query."""
    counts = dict(JobChunk.objects.filter(job=job).order_by().values_list("status").annotate(n=Count("id")))
    return {status.value: counts.get(status.value, 0) for status in JobChunk.Status}


def job_may_control(user: User | AnonymousUser, job: Job) -> bool:
    """Cancel and retry, for a job the person sees: the admins of its dataset, and the person who
    started it while they still hold the role it takes to start it (its kind's ``start_role``)."""
    if not user.is_authenticated:
        return False
    if job.dataset is None:
        return job.created_by_id is not None and job.created_by_id == user.pk
    access = dataset_access()
    if access.has_role(user, job.dataset, "admin"):
        return True
    started_it = job.created_by_id is not None and job.created_by_id == user.pk
    return started_it and access.has_role(user, job.dataset, _start_role(job.kind))


def _start_role(kind: str) -> str:
    try:
        return job_kind(kind).start_role
    except UnknownJobKind:
        return "admin"


def jobs_working_on(dataset_id: int) -> list[Job]:
    """What a dataset's pages say about its jobs, oldest first: those waiting or running (a model
    training, labels coming, an import), and those that failed and were not run again since, with
    their error (a job of the same kind on the dataset that succeeded or runs later supersedes a
    failure). One query; the index on (status, created_at) finds the few among all jobs."""
    later = Job.objects.filter(
        dataset=OuterRef("dataset"),
        kind=OuterRef("kind"),
        created_at__gt=OuterRef("created_at"),
        status__in=(Job.Status.PENDING, Job.Status.RUNNING, Job.Status.SUCCEEDED),
    )
    active = Q(status__in=(Job.Status.PENDING, Job.Status.RUNNING))
    unanswered_failure = Q(status=Job.Status.FAILED) & ~Q(Exists(later))
    return list(
        Job.objects.filter(active | unanswered_failure, dataset_id=dataset_id).order_by("created_at")[:5]
    )


def jobs_ended_before(*, kind: str, before: datetime) -> QuerySet[Job]:
    """Jobs of the kind that failed or were cancelled before then (what housekeeping may clear)."""
    return Job.objects.filter(
        kind=kind, status__in=(Job.Status.FAILED, Job.Status.CANCELLED), finished_at__lt=before
    ).order_by("finished_at")


def job_find(*, kind: str, dataset_id: int | None, params: dict[str, Any]) -> Job | None:
    """The first job of the kind on the dataset whose parameters include ``params``."""
    lookups = {f"params__{key}": value for key, value in params.items()}
    jobs = Job.objects.filter(kind=kind, **lookups)
    jobs = jobs.filter(dataset__isnull=True) if dataset_id is None else jobs.filter(dataset_id=dataset_id)
    return jobs.order_by("created_at").first()
