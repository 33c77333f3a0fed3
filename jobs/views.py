"""The job pages, and the small JSON status the job page polls while the job runs."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from jobs import display
from jobs.models import Job
from jobs.selectors import job_get_for_user, job_get_to_control, job_list_for_user, job_may_control
from jobs.services import job_request_cancel, job_retry
from selflearn_site.exceptions import ApplicationError

JOBS_PER_PAGE = 50
RETRYABLE = (Job.Status.FAILED, Job.Status.CANCELLED)


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(job_list_for_user(request.user), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "jobs/job_list.html", {"page": page})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get_for_user(request.user, pk)
    can_control = job_may_control(request.user, job)
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "status": display.job_status_payload(job),
            "details": display.details(job),
            "can_cancel": can_control and not job.is_finished,
            "can_retry": can_control and job.status in RETRYABLE,
        },
    )


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    job = job_get_to_control(request.user, pk)
    if job.is_finished:
        messages.info(request, f"Job #{job.pk} had already ended ({job.get_status_display().lower()}).")
    else:
        job = job_request_cancel(job=job)
        if job.status == Job.Status.CANCELLED:
            messages.success(request, f"Cancelled job #{job.pk}.")
        else:
            messages.success(request, f"Asked job #{job.pk} to stop; it stops after the work in hand.")
    return redirect("jobs:job-detail", pk=job.pk)


@login_required
@require_POST
def job_retry_view(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Run a failed or cancelled job again in the workers: a labelling job its unfinished chunks,
    any other from the top; what it had written stays and is not written twice."""
    job = job_get_to_control(request.user, pk)
    was = job.get_status_display().lower()
    try:
        pending = job_retry(job=job)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        to_do = f": {len(pending)} chunk(s) to do" if pending else ""
        messages.success(request, f"Job #{job.pk} ({was}) runs again{to_do}.")
    return redirect("jobs:job-detail", pk=job.pk)


@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = job_get_for_user(request.user, pk)
    response = JsonResponse(display.job_status_payload(job))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def job_rejects(request: HttpRequest, pk: int) -> FileResponse:
    """The lines an import rejected, as they came, to fix and import again."""
    job = job_get_for_user(request.user, pk)
    stored_name = (job.result or {}).get("rejects_file")
    if not stored_name or not default_storage.exists(stored_name):
        raise Http404("This job kept no rejected lines.")
    return FileResponse(
        default_storage.open(stored_name, "rb"),
        as_attachment=True,
        filename=f"job-{job.pk}-{PurePosixPath(stored_name).name}",
        content_type="application/jsonl",
    )
