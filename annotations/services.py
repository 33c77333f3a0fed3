"""Writes for datasets (members and invitations are ``membership_services``), the doors into import,
and the kept counts: each is one keyword-only, typed function that the pages, the API, the CLI and
the Celery tasks share."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F

from annotations.formats.importing import (
    DuplicatePolicy,
    ImportCancelled,
    ImportOptions,
    ImportReport,
    ImportSource,
    import_dialogues,
)
from annotations.models import (
    Dataset,
    Membership,
    Role,
)
from annotations.names import dataset_name_key
from annotations.stats import (
    STATS_REFRESH,
    dataset_counts_ensure,
    dataset_stats_refresh,
    dataset_stats_refresh_if_it_exists,
    dataset_stats_request_refresh,
    quality_counts,
)
from jobs.models import Job
from jobs.selectors import jobs_ended_before
from jobs.services import (
    JobCancelCheck,
    JobProgress,
    job_cancelled,
    job_create,
    job_fail,
    job_params_update,
    job_start,
    job_succeed,
)
from selflearn_site.exceptions import ApplicationError

IMPORT_JOB = "import"  # the kind of an import job (registered in annotations.apps)
# The kept counts live in annotations.stats; other apps reach them here.
__all__ = [
    "IMPORT_JOB",
    "STATS_REFRESH",
    "UPLOAD_DUPLICATE_HINT",
    "dataset_counts_ensure",
    "dataset_create",
    "dataset_delete",
    "dataset_get_or_create",
    "dataset_import_file",
    "dataset_stats_refresh",
    "dataset_stats_refresh_if_it_exists",
    "dataset_stats_request_refresh",
    "dataset_update",
    "import_job_before_retry",
    "import_job_create",
    "import_job_run",
    "import_uploads_sweep",
    "quality_counts",
    "upload_temp_files_sweep",
]

# Uploads come from the Import page or the API, never the command line: say it in their words.
UPLOAD_DUPLICATE_HINT = (
    "to import it anyway, choose “Skip the new copy” or “Replace the stored dialogue” under “When a "
    "dialogue id is already in the dataset” on the Import page (on_duplicate=skip or replace in the API)"
)


@transaction.atomic
def dataset_create(*, name: str, description: str = "", user: User | None = None) -> Dataset:
    """Create a dataset; the person who creates it becomes its admin. Names are unique as they read:
    "Alpha" is taken once "alpha" is (``annotations.names``)."""
    same = Dataset.objects.filter(name_key=dataset_name_key(name)).values_list("name", flat=True).first()
    if same is not None:
        raise ApplicationError(
            f"A dataset named {same!r} already exists"
            + ("." if same == name else f", and {name!r} reads the same: choose another name."),
            extra={"field": "name"},
        )
    dataset = Dataset(name=name, description=description, created_by=user)
    _full_clean(dataset, exclude=["name_key"])
    dataset.save()
    if user is not None:
        Membership.objects.create(dataset=dataset, user=user, role=Role.ADMIN)
    return dataset


def dataset_get_or_create(*, name: str, user: User | None = None) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    return dataset if dataset is not None else dataset_create(name=name, user=user)


def import_job_create(
    *,
    dataset: Dataset,
    upload: UploadedFile[bytes],
    user: User | None,
    on_duplicate: DuplicatePolicy = "error",
    skip_invalid: bool = False,
) -> Job:
    """Keep the uploaded file in storage and start an import job for it in the worker.

    The file goes through Django's storage API, so with shared storage a worker on another machine
    reads what this web server received. A file over ``SELFLEARN_IMPORT_MAX_UPLOAD_BYTES`` is refused
    before it is stored.
    """
    upload_temp_files_sweep()
    limit = settings.SELFLEARN_IMPORT_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ApplicationError(
            f"The file is {upload.size} bytes, more than the limit of {limit} bytes.", extra={"field": "file"}
        )
    folder = PurePosixPath("imports") / uuid.uuid4().hex
    stored_name = default_storage.save(
        str(folder / PurePosixPath(upload.name or "upload.jsonl").name), upload
    )
    try:
        with transaction.atomic():
            return job_create(
                kind=IMPORT_JOB,
                dataset=dataset,
                user=user,
                params={
                    "file": stored_name,
                    "filename": upload.name,
                    "on_duplicate": on_duplicate,
                    "skip_invalid": skip_invalid,
                },
            )
    except BaseException:
        default_storage.delete(stored_name)
        raise


def import_job_run(*, job: Job) -> Job:
    """Run an import job to its end; called by the worker. The upload is removed once the import
    succeeds; after a failure or a cancel it is kept (``SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS``)
    so the job can be retried, nothing having been written (the import is one transaction). The
    rejected lines of a ``skip_invalid`` import are kept beside it for the person to fetch."""
    dataset = job.dataset
    assert dataset is not None  # an import job is always filed under its dataset
    stored_name: str = job.params["file"]
    display_name: str = job.params.get("filename") or stored_name
    options = ImportOptions(
        on_duplicate=job.params.get("on_duplicate", "error"),
        skip_invalid=bool(job.params.get("skip_invalid", False)),
        rejects_path=None,
        duplicate_hint=UPLOAD_DUPLICATE_HINT,
    )
    job_start(job=job, phase="validating")
    if job.params.get("written"):
        # A run before this one wrote everything and then lost its worker or its connection: the
        # dialogues are in (the note commits with them), so this run only ends the job.
        return _import_job_end(job, dict(job.params["written"]))
    source = ImportSource(name=display_name, open=lambda: default_storage.open(stored_name, "rb"))
    progress = JobProgress(job)
    try:
        report = import_dialogues(
            source=source,
            dataset=dataset,
            options=options,
            progress=progress,
            job=job,
            should_stop=JobCancelCheck(job),
            on_written=lambda written: job_params_update(job=job, written=written.as_dict()),
        )
    except ImportCancelled:
        return job_cancelled(job=job)
    except ApplicationError as error:
        return job_fail(job=job, error=error.message)
    finally:
        progress.close()
    result = report.as_dict()
    if report.rejected_lines:
        result["rejects_file"] = _store_rejects(stored_name, report)
    return _import_job_end(job, result)


def _import_job_end(job: Job, result: dict[str, Any]) -> Job:
    """An import whose dialogues are written: the job succeeds, its upload goes, the counts follow."""
    job = job_succeed(job=job, result=result)
    default_storage.delete(job.params["file"])
    if job.dataset_id is not None:
        dataset_stats_refresh(dataset_id=job.dataset_id)
    return job


def import_job_before_retry(job: Job) -> None:
    """An import runs again only while its upload is kept; after that the file must come again."""
    stored_name = job.params.get("file")
    if not stored_name or job.params.get("upload_removed") or not default_storage.exists(stored_name):
        raise ApplicationError(
            "The uploaded file of this import is no longer kept (uploads are kept "
            f"{_retention_display()} after an import fails); upload the file again."
        )


def _retention_display() -> str:
    seconds = settings.SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS
    days, rest = divmod(seconds, 86400)
    return f"{days} day{'s' if days != 1 else ''}" if not rest else f"{seconds // 3600} hours"


def import_uploads_sweep(now: datetime) -> int:
    """Remove the uploads of imports that failed or were cancelled longer than the retention ago (the
    workers' housekeeping, or ``manage.py jobs_housekeeping``). Returns how many were removed."""
    before = now - timedelta(seconds=settings.SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS)
    removed = 0
    for job in jobs_ended_before(kind=IMPORT_JOB, before=before):
        stored_name = job.params.get("file")
        if not stored_name or job.params.get("upload_removed"):
            continue
        default_storage.delete(stored_name)
        job_params_update(job=job, upload_removed=True)
        removed += 1
    return removed


def _store_rejects(stored_name: str, report: ImportReport) -> str:
    """Keep the rejected lines, untouched, beside the upload so the person can fix and re-import them."""
    folder = PurePosixPath(stored_name).parent
    rejects = report.rejects_file()
    assert rejects is not None  # without a rejects_path the report keeps them in a temporary file
    with rejects:
        return default_storage.save(str(folder / "rejects.jsonl"), File(rejects))


def upload_temp_files_sweep() -> int:
    """Remove the temporary files of uploads older than ``SELFLEARN_UPLOAD_TEMP_MAX_AGE_SECONDS``: a web
    worker killed mid-upload leaves its partial file behind. Returns how many were removed."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    oldest = time.time() - settings.SELFLEARN_UPLOAD_TEMP_MAX_AGE_SECONDS
    removed = 0
    for path in folder.glob("*.upload*") if folder.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < oldest:
                path.unlink()
                removed += 1
    return removed


def dataset_import_file(
    *,
    name: str,
    source: ImportSource,
    options: ImportOptions,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> ImportReport:
    """Import a file into the dataset called ``name``, creating it if needed (the command line). A
    dataset created here is removed again if the import fails, so a failed import leaves nothing.
    The dataset's kept counts are then refreshed here, as the import job does in the worker: without
    them the first page to list the dataset would count it inside its request (minutes at a million
    dialogues)."""
    existing = Dataset.objects.filter(name=name).first()
    dataset = existing if existing is not None else dataset_create(name=name)
    try:
        report = import_dialogues(source=source, dataset=dataset, options=options, progress=progress)
    except BaseException:
        if existing is None:
            dataset_delete(dataset=dataset)
        raise
    dataset_stats_refresh(dataset_id=dataset.pk)
    return report


def dataset_serving_changed(*, dataset: Dataset | int | None) -> None:
    """Something the served endpoints answer from changed in the dataset (a Dataset, or its id; None:
    in every dataset, for catalogues, which all share): each process reads it again on its next request
    (``selflearn_site.revision_cache``). Call it in the transaction of the change, so that no process
    sees the new revision before the change itself. A Dataset given is brought to the new revision, so
    that its holder's next served answer (a test, a script) sees the change too."""
    if dataset is None:
        Dataset.objects.update(serving_revision=F("serving_revision") + 1)
        return
    pk = dataset.pk if isinstance(dataset, Dataset) else dataset
    Dataset.objects.filter(pk=pk).update(serving_revision=F("serving_revision") + 1)
    if isinstance(dataset, Dataset):
        dataset.serving_revision = Dataset.objects.values_list("serving_revision", flat=True).get(pk=pk)


@transaction.atomic
def dataset_update(*, dataset: Dataset, description: str | None = None) -> Dataset:
    """Change what is given; the name stays (job parameters and URLs refer to it). The number of
    reviews each label needs is a review rule, set by ``review.services.dataset_required_reviews_set``."""
    if description is not None:
        dataset.description = description
        # The name is not changed here, so it is not checked again: a name from before today's rules
        # (annotations/migrations/0014) stays valid.
        _full_clean(dataset, exclude=["name", "name_key"])
        dataset.save(update_fields=["description"])
    return dataset


def _full_clean(dataset: Dataset, *, exclude: list[str]) -> None:
    """The model's checks, refused as the domain's error naming the first field at fault."""
    try:
        dataset.full_clean(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(" ".join(messages), extra={"field": field}) from error


@transaction.atomic
def dataset_delete(*, dataset: Dataset) -> None:
    """Delete the dataset with its dialogues, turns, labels, review history, rules, members and jobs,
    all or nothing."""
    dataset.delete()
