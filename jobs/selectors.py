"""Reads of Job rows, with the rules the pages and the API share: a person sees the jobs of the
datasets they belong to, as long as they belong to every dataset a job reads (a superuser sees every
job); the person who started a job (while they keep the role it takes) and the admins of its dataset
control it. Also a job's rate, ETA and chunk counts."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from annotations.models import Dataset, Membership, Role
from annotations.permissions import has_role
from jobs.models import Job, JobChunk


def job_list_for_user(user: User | AnonymousUser) -> QuerySet[Job]:
    """The jobs of datasets the person belongs to now, each only if they belong to every dataset the
    job reads (a training job's result names what it learned); a job of no dataset, to whoever
    started it. Starting a job gives no lasting right to it: a removed member loses its jobs."""
    if not user.is_authenticated:
        return Job.objects.none()
    jobs = Job.objects.select_related("dataset", "created_by")
    if user.is_superuser:
        return jobs
    mine = Membership.objects.filter(user=user).values("dataset")
    foreign = Job.reads.through.objects.filter(job=OuterRef("pk")).exclude(dataset__in=mine)
    return jobs.filter(Q(dataset__in=mine) | Q(dataset=None, created_by=user)).filter(~Exists(foreign))


def job_get_for_user(user: User | AnonymousUser, pk: int) -> Job:
    """The job, or Http404 when it does not exist or the person may not see it."""
    job = job_list_for_user(user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
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


# The role a kind's job needs of its dataset to be started (and so controlled by whoever started it).
START_ROLE = {Job.Kind.IMPORT: Role.ADMIN, Job.Kind.TRAIN: Role.ADMIN}


def job_may_control(user: User | AnonymousUser, job: Job) -> bool:
    """Cancel and resume, for a job the person sees: the admins of its dataset, and the person who
    started it while they still hold the role it takes to start it."""
    if not user.is_authenticated:
        return False
    if job.dataset is None:
        return job.created_by_id is not None and job.created_by_id == user.pk
    if has_role(user, job.dataset, Role.ADMIN):
        return True
    started_it = job.created_by_id is not None and job.created_by_id == user.pk
    return started_it and has_role(user, job.dataset, START_ROLE.get(Job.Kind(job.kind), Role.REVIEWER))


def jobs_working_on(dataset: Dataset) -> list[Job]:
    """The dataset's jobs that are waiting or running, oldest first: what its pages say is on its way
    (a model training, labels coming, an import). Few rows: the index on (status, created_at) finds
    them among all jobs."""
    active = (Job.Status.PENDING, Job.Status.RUNNING)
    return list(Job.objects.filter(status__in=active, dataset=dataset).order_by("created_at")[:5])
