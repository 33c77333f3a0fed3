"""Writes for datasets (members and invitations are ``membership_services``), the doors into import,
and the kept counts: each is one keyword-only, typed function that the pages, the API, the CLI and
the Celery tasks share."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Floor, Substr
from django.utils import timezone
from django.utils.module_loading import import_string

from annotations.formats.importing import (
    DuplicatePolicy,
    ImportCancelled,
    ImportOptions,
    ImportReport,
    ImportSource,
    import_dialogues,
)
from annotations.models import (
    CONFIDENCE_BINS,
    REVIEWED_STATUSES,
    Dataset,
    DatasetStats,
    Dialogue,
    Label,
    LabelKind,
    LabelSource,
    LabelStatus,
    Membership,
    Role,
    Turn,
)
from annotations.names import dataset_name_key
from annotations.selectors import datasets_changed_since_counted
from jobs.models import Job
from jobs.services import (
    JobCancelCheck,
    JobProgress,
    job_cancelled,
    job_create,
    job_fail,
    job_start,
    job_succeed,
)
from selflearn_site.exceptions import ApplicationError

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
                kind=Job.Kind.IMPORT,
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
    """Run an import job to its end; called by the worker. The upload is removed however it ends
    (the rejected lines of a ``skip_invalid`` import are kept beside it for the person to fetch)."""
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
    try:
        job_start(job=job, phase="validating")
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
        job = job_succeed(job=job, result=result)
        if job.dataset_id is not None:
            dataset_stats_refresh(dataset_id=job.dataset_id)
        return job
    finally:
        default_storage.delete(stored_name)


def _store_rejects(stored_name: str, report: ImportReport) -> str:
    """Keep the rejected lines, untouched, beside the upload so the person can fix and re-import them."""
    folder = PurePosixPath(stored_name).parent
    rejects = report.rejects_file()
    assert rejects is not None  # without a rejects_path the report keeps them in a temporary file
    with rejects:
        return default_storage.save(str(folder / "rejects.jsonl"), File(rejects))


def import_upload_discard(*, job: Job) -> None:
    """Remove the upload of an import job that ended without running (cancelled while pending)."""
    if job.kind == Job.Kind.IMPORT and job.is_finished and job.params.get("file"):
        default_storage.delete(job.params["file"])


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


# ---------------------------------------------------------------------------------------------------
# The kept counts of a dataset (DatasetStats)
# ---------------------------------------------------------------------------------------------------

# A page asks for a refresh at most this often per dataset, however many people look.
REFRESH_EVERY = timedelta(seconds=30)
REFRESH_TASK = "annotations.tasks.dataset_stats_refresh_task"


def dataset_stats_refresh(*, dataset_id: int) -> DatasetStats:
    """Count the dataset's dialogues, turns and labels (by kind, status and source) and keep them."""
    now = timezone.now()
    dialogues = Dialogue.objects.filter(dataset_id=dataset_id).count()
    turns = Turn.objects.filter(dialogue__dataset_id=dataset_id).count()
    rows = (
        Label.objects.filter(dialogue__dataset_id=dataset_id)
        .order_by()
        .values_list("kind", "status", "source_type")
        .annotate(n=Count("id"))
    )
    stats, _ = DatasetStats.objects.update_or_create(
        dataset_id=dataset_id,
        defaults={
            "dialogues": dialogues,
            "turns": turns,
            "labels": sorted([list(row) for row in rows]),
            "quality": quality_counts(dataset_id=dataset_id),
            "computed_at": now,
            "refresh_requested_at": None,
        },
    )
    return stats


def quality_counts(*, dataset_id: int) -> dict[str, list[list[Any]]]:
    """What the quality dashboards plot, as aggregate queries over the settled labels (gold, accepted
    or corrected): failure points and defects by the day the dialogue started, the intents whose turns
    fail, and the waiting proposals by kind and confidence bin. A turn counts once per value, however
    many settled labels say it (an imported gold label and an accepted proposal agree)."""
    settled = Label.objects.filter(dialogue__dataset_id=dataset_id, status__in=REVIEWED_STATUSES).order_by()
    day = Substr("dialogue__started_at", 1, 10)
    failures = (
        settled.filter(kind=LabelKind.FAILURE_POINT, dialogue__started_at__isnull=False)
        .annotate(day=day)
        .values_list("day", "value")
        .annotate(n=Count("turn_id", distinct=True))
    )
    defects: dict[str, list[int]] = {}
    for when, value, n in (
        settled.filter(kind=LabelKind.DEFECT, dialogue__started_at__isnull=False)
        .annotate(day=day)
        .values_list("day", "value")
        .annotate(n=Count("turn_id", distinct=True))
    ):
        counts = defects.setdefault(when, [0, 0])
        counts[0] += n if value is True else 0
        counts[1] += n
    # The intent a failed turn should have had: its settled intent label.
    intent = Subquery(
        Label.objects.filter(
            turn_id=OuterRef("turn_id"), kind=LabelKind.INTENT, status__in=REVIEWED_STATUSES
        ).values("value")[:1]
    )
    failed: dict[str, int] = {}
    for name, n in (
        settled.filter(kind=LabelKind.FAILURE_POINT)
        .exclude(value="none")
        .annotate(intent=intent)
        .values_list("intent")
        .annotate(n=Count("turn_id", distinct=True))
    ):
        if isinstance(name, str):
            failed[name] = failed.get(name, 0) + n
    turns_by_intent = dict(
        settled.filter(kind=LabelKind.INTENT)
        .values_list("value")
        .annotate(n=Count("turn_id", distinct=True))
        .values_list("value", "n")
    )
    proposed = (
        Label.objects.filter(
            dialogue__dataset_id=dataset_id,
            source_type=LabelSource.MODEL,
            status=LabelStatus.PROPOSED,
            confidence__isnull=False,
        )
        .order_by()
        .annotate(bin=Floor(F("confidence") * CONFIDENCE_BINS))
        .values_list("kind", "bin")
        .annotate(n=Count("id"))
    )
    confidence: dict[tuple[str, int], int] = {}
    for kind, bin_, n in proposed:
        key = (kind, min(int(bin_), CONFIDENCE_BINS - 1))  # a confidence of 1 joins the top bin
        confidence[key] = confidence.get(key, 0) + n
    return {
        "failures_by_day": sorted([when, value, n] for when, value, n in failures if isinstance(value, str)),
        "defects_by_day": sorted([when, *counts] for when, counts in defects.items()),
        "failing_intents": sorted(
            ([name, n, turns_by_intent.get(name, n)] for name, n in failed.items()),
            key=lambda row: (-row[1], row[0]),
        ),
        "proposed_confidence": sorted([kind, bin_, n] for (kind, bin_), n in confidence.items()),
    }


def dataset_stats_request_refresh(*, dataset_ids: list[int]) -> None:
    """Ask the workers to count these datasets again, unless asked within ``REFRESH_EVERY``."""
    now = timezone.now()
    asked = []
    for dataset_id in dataset_ids:
        DatasetStats.objects.get_or_create(
            dataset_id=dataset_id, defaults={"computed_at": now - timedelta(days=3650)}
        )
        # One of many pages wins the conditional update; only it sends the task.
        won = DatasetStats.objects.filter(
            Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=now - REFRESH_EVERY),
            dataset_id=dataset_id,
        ).update(refresh_requested_at=now)
        if won:
            asked.append(dataset_id)
    # By its dotted path, as jobs/dispatch.py does: the task imports this module, not the reverse.
    for dataset_id in asked:
        transaction.on_commit(partial(_refresh_in_a_worker, dataset_id))


def _refresh_in_a_worker(dataset_id: int) -> None:
    import_string(REFRESH_TASK).delay(dataset_id)


# Counts behind a change are counted again at once for a dataset this small (a few milliseconds); a
# larger one shows its kept counts, marked with their time, while a worker counts.
SYNC_REFRESH_DIALOGUES = 5_000


def dataset_counts_ensure(*, datasets: Iterable[Dataset]) -> None:
    """Give each dataset (from ``dataset_list_for_user``) its counts as attributes: ``stats``,
    ``dialogue_count``, ``turn_count``, ``label_count``, ``labels_<status>`` and ``counts_pending``
    (the counts are older than a change and a worker is counting)."""
    datasets = list(datasets)
    changed = datasets_changed_since_counted(datasets)
    behind = []
    for dataset in datasets:
        # A missing one-to-one raises an AttributeError too: read as the selector reads it.
        stats: DatasetStats | None = getattr(dataset, "stats", None)
        is_behind = stats is None or dataset.pk in changed
        if is_behind and (stats is None or stats.dialogues < SYNC_REFRESH_DIALOGUES):
            stats = dataset_stats_refresh(dataset_id=dataset.pk)
            is_behind = False
        elif is_behind:
            behind.append(dataset.pk)
        assert stats is not None
        dataset.stats = stats
        counts = {
            "dialogue_count": stats.dialogues,
            "turn_count": stats.turns,
            "label_count": stats.label_count(),
            "counts_pending": is_behind,
        }
        counts.update({f"labels_{status}": stats.label_count(statuses=(status,)) for status in LabelStatus})
        for name, value in counts.items():
            setattr(dataset, name, value)
    if behind:
        dataset_stats_request_refresh(dataset_ids=behind)
