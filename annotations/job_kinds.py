"""What annotations tells ``jobs``: the import job's kind, who belongs to a dataset (for who sees a
job), and the kept counts' refresh as a background action. Registered by ``AnnotationsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet

from annotations.models import Dataset, Role
from annotations.permissions import has_role
from annotations.services import (
    IMPORT_JOB,
    STATS_REFRESH,
    dataset_stats_refresh_if_it_exists,
    import_job_before_retry,
    import_job_run,
    import_uploads_sweep,
)
from jobs.models import Job
from jobs.registry import (
    JobKind,
    background_action_register,
    dataset_access_register,
    job_kind_register,
)


class _DatasetAccess:
    """Who belongs to a dataset, as annotations' memberships say."""

    def datasets_of(self, user: User) -> QuerySet[Any]:
        return Dataset.objects.filter(memberships__user=user)

    def has_role(self, user: User | AnonymousUser, dataset: Model, role: str) -> bool:
        assert isinstance(dataset, Dataset)
        return has_role(user, dataset, Role(role))


def _import_summary(result: dict[str, Any]) -> str:
    imported = f"{result.get('dialogues', 0):,} dialogues imported"
    rejected = result.get("rejected_lines")
    return f"{imported}, {rejected:,} invalid lines rejected" if rejected else imported


def _import_details(job: Job) -> list[tuple[str, str, str]]:
    params = job.params
    rows = [("File", str(params.get("filename") or params.get("file", "")), "")]
    rows.append(("On duplicate", str(params.get("on_duplicate", "error")), ""))
    rows.append(("Skip invalid", "yes" if params.get("skip_invalid") else "no", ""))
    if params.get("upload_removed"):
        rows.append(("Upload", "removed after its retention", ""))
    return rows


IMPORT = JobKind(
    kind=IMPORT_JOB,
    label="Import",
    run=import_job_run,
    start_role=Role.ADMIN.value,
    rate_unit="dialogues",
    phase_units={"validating": "bytes", "writing": "dialogues"},
    result_names={
        "dialogues": "Dialogues imported",
        "turns": "Turns imported",
        "labels": "Gold labels imported",
        "skipped_duplicates": "Duplicates skipped",
        "rejected_lines": "Invalid lines rejected",
    },
    result_hidden=frozenset({"rejects_file", "rejects_path", "dataset"}),
    summary=_import_summary,
    notice=lambda job: "Dialogues are being imported into this dataset.",
    details=_import_details,
    before_retry=import_job_before_retry,
    housekeeping=import_uploads_sweep,
)


def register() -> None:
    job_kind_register(IMPORT)
    dataset_access_register(_DatasetAccess())
    background_action_register(STATS_REFRESH, dataset_stats_refresh_if_it_exists)
