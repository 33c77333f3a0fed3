"""How a job reads on the pages and in what they poll: its progress with its unit, its rate, its result
in words, all from its kind's registry entry (``jobs.registry``), so no page or template branches on a
kind."""

from __future__ import annotations

from typing import Any

from jobs.models import Job
from jobs.registry import JobKind, UnknownJobKind, job_kind
from jobs.selectors import job_chunk_counts, job_rate_and_eta

# What every kind's result may carry, in words; a kind's own names (``JobKind.result_names``) win.
COMMON_RESULT_NAMES = {
    "seconds": "Time",
    "seconds_in_chunks": "Time spent in chunks",
    "chunks": "Chunks",
}


def _entry(job: Job) -> JobKind | None:
    try:
        return job_kind(job.kind)
    except UnknownJobKind:
        return None


def kind_label(job: Job) -> str:
    """How people read the job's kind ("Labelling"); the kind itself where no app registers it."""
    entry = _entry(job)
    return entry.label if entry is not None else job.kind


def unit(job: Job) -> str:
    """What the job's progress counts now ("turns", "bytes" while an import reads its file)."""
    entry = _entry(job)
    return entry.unit(job.phase) if entry is not None else "items"


def bytes_display(count: float) -> str:
    for name, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:,.1f} {name}"
    return f"{count:,.0f} bytes"


def _amount(job: Job, count: int) -> str:
    """1,234 turns; 3.4 MB."""
    if unit(job) == "bytes":
        return bytes_display(count)
    return f"{count:,} {unit(job)}"


def rate_display(job: Job, rate: float | None) -> str:
    """Always with its unit: 12.5 turns/s, 3.4 MB/s (an import reading its file)."""
    if rate is None:
        return "—"
    if unit(job) == "bytes":
        return f"{bytes_display(rate)}/s"
    return f"{rate:,.1f} {unit(job)}/s"


def progress_display(job: Job) -> str:
    """ "42.0% · 1,234 of 2,900 turns" while it runs. A finished job says how it ended instead of a
    fraction that would mislead: a succeeded job its kind's summary of the result ("300 dialogues
    imported"), a failed or cancelled one where it stopped ("stopped while validating, 3.4 MB of
    3.4 MB"), so a failure never reads as 100% done."""
    if job.status == Job.Status.SUCCEEDED:
        return result_summary(job) or "Done"
    reached = _reached(job)
    if job.is_finished:
        where = f" while {job.phase}" if job.phase else ""
        return f"Stopped{where}" + (f", {reached}" if reached else "")
    fraction = job.fraction_done
    if fraction is not None and reached:
        return f"{fraction * 100:.1f}% · {reached}"
    return reached


def _reached(job: Job) -> str:
    if job.progress_total:
        if unit(job) == "bytes":
            return f"{bytes_display(job.progress_done)} of {bytes_display(job.progress_total)}"
        return f"{job.progress_done:,} of {job.progress_total:,} {unit(job)}"
    return f"{_amount(job, job.progress_done)} done" if job.progress_done else ""


def progress_percent(job: Job) -> float | None:
    """The bar's value: full once the job succeeded, else how far it got (its words say whether it
    stopped there)."""
    if job.status == Job.Status.SUCCEEDED:
        return 100.0
    fraction = job.fraction_done
    return None if fraction is None else round(fraction * 100, 1)


def result_summary(job: Job) -> str:
    """One line on what a succeeded job did, in its kind's words."""
    entry = _entry(job)
    if entry is None or entry.summary is None or not isinstance(job.result, dict):
        return ""
    return entry.summary(job.result)


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
    """The job's result as the page shows it: a name in its kind's words and a readable value per key
    ("Dialogues read: 300", "Time spent in chunks: 40 s"), never raw JSON."""
    entry = _entry(job)
    names = {**COMMON_RESULT_NAMES, **(entry.result_names if entry else {})}
    hidden = entry.result_hidden if entry else frozenset()
    rows = []
    for key, value in (job.result or {}).items() if isinstance(job.result, dict) else ():
        if key in hidden:
            continue
        name = names.get(key) or str(key).replace("_", " ").capitalize()
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


def details(job: Job) -> list[dict[str, str]]:
    """The job page's rows from its parameters, as its kind describes them: name, text, link."""
    entry = _entry(job)
    if entry is None or entry.details is None:
        return []
    return [{"name": name, "text": text, "url": url} for name, text, url in entry.details(job)]


def notice(job: Job) -> str:
    """What a dataset's pages say about the job: while it works, its kind's sentence; once it failed,
    that it failed (its error beside it on the page)."""
    entry = _entry(job)
    if job.status == Job.Status.FAILED:
        return f"{kind_label(job)} failed on this dataset."
    if entry is not None and entry.notice is not None:
        return entry.notice(job)
    return f"{kind_label(job)} is working on this dataset."


def job_status_payload(job: Job) -> dict[str, Any]:
    """What the job page shows and polls. Chunked jobs add their chunk counts (one query)."""
    rate, eta_seconds = job_rate_and_eta(job)
    entry = _entry(job)
    return {
        "id": job.pk,
        "status": job.status,
        "kind_label": kind_label(job),
        "status_display": job.get_status_display(),
        "phase": job.phase,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": progress_percent(job),
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
        "chunks": job_chunk_counts(job) if entry is not None and entry.is_chunked else None,
    }
