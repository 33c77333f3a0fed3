"""The job pages, and the small JSON status the job page polls while the job runs."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jobs.models import Job
from jobs.selectors import job_get_for_user, job_list_for_user

JOBS_PER_PAGE = 50


def job_status_payload(job: Job) -> dict:
    fraction = job.fraction_done
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "phase": job.phase,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": None if fraction is None else round(fraction * 100, 1),
        "is_finished": job.is_finished,
        "result": job.result,
        "error": job.error,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(job_list_for_user(request.user), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "jobs/job_list.html", {"page": page})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get_for_user(request.user, pk)
    return render(request, "jobs/job_detail.html", {"job": job, "status": job_status_payload(job)})


@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = job_get_for_user(request.user, pk)
    response = JsonResponse(job_status_payload(job))
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
