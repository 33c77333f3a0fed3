"""The teachable-moments job's kind, as this app tells ``jobs`` about it (``TeachableConfig.ready``)."""

from __future__ import annotations

from typing import Any

from annotations.models import Role
from jobs.registry import JobKind, job_kind_register
from teachable.services import FIND_MOMENTS_JOB, find_moments_job_run


def _summary(result: dict[str, Any]) -> str:
    new, dialogues = result.get("moments_new", 0), result.get("dialogues", 0)
    return f"{new:,} new teachable moment{'s' if new != 1 else ''} in {dialogues:,} dialogues"


FIND_MOMENTS = JobKind(
    kind=FIND_MOMENTS_JOB,
    label="Finding teachable moments",
    run=find_moments_job_run,
    start_role=Role.REVIEWER.value,
    rate_unit="dialogues",
    result_names={
        "dialogues": "Dialogues read",
        "moments_found": "Moments found",
        "moments_new": "New moments",
    },
    summary=_summary,
    notice=lambda job: "The logs are being read for teachable moments.",
)


def register() -> None:
    job_kind_register(FIND_MOMENTS)
