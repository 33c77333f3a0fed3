"""``{% jobs_working_on dataset %}``: the notice on a dataset's pages of the jobs working on it, and of
those that failed there (with the reason and, for those who may, a Retry button); ``job|job_progress``:
a job's progress as the Jobs list shows it."""

from __future__ import annotations

from typing import Any

from django import template

from jobs import display, selectors
from jobs.models import Job

register = template.Library()


@register.inclusion_tag("jobs/_working_on.html", takes_context=True)
def jobs_working_on(context: dict[str, Any], dataset: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    notices = [
        {
            "job": job,
            "notice": display.notice(job),
            "can_retry": user is not None and job.is_finished and selectors.job_may_control(user, job),
        }
        for job in selectors.jobs_working_on(dataset.pk)
    ]
    return {"dataset": dataset, "notices": notices, "csrf_token": context.get("csrf_token")}


@register.filter
def job_progress(job: Job) -> str:
    return display.progress_display(job)


@register.filter
def job_kind_label(job: Job) -> str:
    return display.kind_label(job)
