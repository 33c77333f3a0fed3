"""Reads of Job rows, with the one visibility rule the pages and the API share: a person sees the
jobs of the datasets they belong to and the jobs they started; a superuser sees every job."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from annotations.models import Membership
from jobs.models import Job


def job_list_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Job]:
    if not user.is_authenticated:
        return Job.objects.none()
    jobs = Job.objects.select_related("dataset", "created_by")
    if user.is_superuser:
        return jobs
    member = Exists(Membership.objects.filter(dataset=OuterRef("dataset"), user=user))
    return jobs.filter(member | Q(created_by=user))


def job_get_for_user(user: AbstractBaseUser | AnonymousUser, pk: int) -> Job:
    """The job, or Http404 when it does not exist or the person may not see it."""
    job = job_list_for_user(user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job
