"""The job pages, and the small JSON status the job page polls while the job runs."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from jobs.models import Job
from jobs.selectors import (
    job_chunk_counts,
    job_get_for_user,
    job_list_for_user,
    job_may_control,
    job_rate_and_eta,
)
from jobs.services import job_request_cancel
from models_app.job_services import label_job_resume
from selflearn_site.exceptions import ApplicationError

JOBS_PER_PAGE = 50
RESUMABLE = (Job.Status.FAILED, Job.Status.CANCELLED)
# What a job's progress counts, for its rate: by kind, or by (kind, phase) where a phase counts
# something else (an import validates bytes, then writes dialogues).
RATE_UNITS: dict[str | tuple[str, str], str] = {
    Job.Kind.LABEL: "turns",
    Job.Kind.TRAIN: "steps",
    Job.Kind.FIND_MOMENTS: "dialogues",
    Job.Kind.MINE_REWRITES: "dialogues",
    (Job.Kind.IMPORT, "validating"): "bytes",
    (Job.Kind.IMPORT, "writing"): "dialogues",
}
# How a job's result reads: its keys in words; keys not here are humanised as they are.
RESULT_NAMES = {
    "turns_labelled": "Turns labelled",
    "labels_written": "Labels written",
    "seconds_in_chunks": "Time spent labelling",
    "seconds": "Time",
    "dialogues": "Dialogues imported",
    "turns": "Turns imported",
    "labels": "Gold labels imported",
    "skipped_duplicates": "Duplicates skipped",
    "rejected_lines": "Invalid lines rejected",
    "labelling_jobs": "Labelling jobs started",
    "evaluation_jobs": "Evaluation jobs started",
}
# Keys of a result that are plumbing, not news (the rejects file has its own link).
RESULT_HIDDEN = frozenset({"rejects_file", "rejects_path", "dataset"})


def job_status_payload(job: Job) -> dict:
    """What the job page shows and polls. Labelling jobs add their chunk counts (one query)."""
    fraction = job.fraction_done
    rate, eta_seconds = job_rate_and_eta(job)
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
        "progress_display": progress_display(job),
        "result_rows": result_rows(job),
        "rate": rate,
        "rate_display": rate_display(job, rate),
        "eta_seconds": eta_seconds,
        "eta_display": duration_display(eta_seconds),
        "chunks": job_chunk_counts(job) if job.kind == Job.Kind.LABEL else None,
    }


def _unit(job: Job) -> str:
    return RATE_UNITS.get((job.kind, job.phase)) or RATE_UNITS.get(job.kind) or "items"


def _bytes(count: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count:,.0f} bytes"


def rate_display(job: Job, rate: float | None) -> str:
    """Always with its unit: 12.5 turns/s, 3.4 MB/s (an import reading its file)."""
    if rate is None:
        return "—"
    unit = _unit(job)
    if unit == "bytes":
        return f"{_bytes(rate)}/s"
    return f"{rate:,.1f} {unit}/s"


def progress_display(job: Job) -> str:
    """ "42% · 1,234 of 2,900 turns" (or bytes as MB); what is done when the total is unknown."""
    unit = _unit(job)
    amount = _bytes if unit == "bytes" else (lambda count: f"{count:,}")
    suffix = "" if unit == "bytes" else f" {unit}"
    fraction = job.fraction_done
    if fraction is not None and job.progress_total is not None:
        return f"{fraction * 100:.1f}% · {amount(job.progress_done)} of {amount(job.progress_total)}{suffix}"
    return f"{amount(job.progress_done)}{suffix} done" if job.progress_done else ""


def _value_display(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and (key == "seconds" or key.startswith("seconds_")):
        return duration_display(float(value))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        parts = [f"{_value_display(k, v)} {str(k).replace('_', ' ')}" for k, v in value.items() if v != 0]
        return ", ".join(parts) if parts else "—"
    if isinstance(value, list):
        return ", ".join(_value_display(key, each) for each in value) or "—"
    return "—" if value is None else str(value)


def result_rows(job: Job) -> list[dict[str, str]]:
    """The job's result as the page shows it: a name and a readable value per key ("Chunks: 2 done",
    "Time spent labelling: 40 s"), never raw JSON."""
    rows = []
    for key, value in (job.result or {}).items():
        if key in RESULT_HIDDEN:
            continue
        name = RESULT_NAMES.get(key) or str(key).replace("_", " ").capitalize()
        rows.append({"key": str(key), "name": name, "value": _value_display(str(key), value)})
    return rows


def duration_display(seconds: float | None) -> str:
    """42 s, 3 min 05 s, 2 h 07 min; an em dash when unknown."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


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
            "status": job_status_payload(job),
            "can_cancel": can_control and not job.is_finished,
            "can_resume": can_control and job.kind == Job.Kind.LABEL and job.status in RESUMABLE,
        },
    )


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    job = _job_to_control(request, pk)
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
def job_resume(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Run a failed or cancelled labelling job's unfinished chunks again, in the workers."""
    job = _job_to_control(request, pk)
    try:
        pending = label_job_resume(job=job)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        to_do = f"{len(pending)} chunk(s) to do" if pending else "planning it again"
        messages.success(request, f"Resumed job #{job.pk}: {to_do}.")
    return redirect("jobs:job-detail", pk=job.pk)


def _job_to_control(request: HttpRequest, pk: int) -> Job:
    """The job, 404 for those who may not see it, 403 for those who see it but may not control it."""
    job = job_get_for_user(request.user, pk)
    if not job_may_control(request.user, job):
        raise PermissionDenied("Only the person who started this job or an admin of its dataset may do this.")
    return job


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
