"""The kinds of job this app runs (mining rewrites, building the rewriter), as it tells ``jobs``
about them (``RewritesConfig.ready``)."""

from __future__ import annotations

from typing import Any

from annotations.models import Role
from jobs.registry import JobKind, job_kind_register
from rewrites.services import (
    BUILD_REWRITER_JOB,
    MINE_REWRITES_JOB,
    build_rewriter_job_run,
    mine_rewrites_job_run,
)


def _mine_summary(result: dict[str, Any]) -> str:
    pairs, new = result.get("pairs", 0), result.get("new_pairs", 0)
    return f"{pairs:,} rewrite pairs ({new:,} new) from {result.get('dialogues', 0):,} dialogues"


def _build_summary(result: dict[str, Any]) -> str:
    served = result.get("served_utterances", 0)
    return f"A rewriter over {served:,} served utterances, from {result.get('attempts', 0):,} requests"


MINE_REWRITES = JobKind(
    kind=MINE_REWRITES_JOB,
    label="Mining rewrites",
    run=mine_rewrites_job_run,
    start_role=Role.ADMIN.value,
    rate_unit="dialogues",
    result_names={
        "dialogues": "Dialogues read",
        "dialogues_read": "Dialogues read",
        "chains": "Rephrase chains",
        "pairs": "Rewrite pairs",
        "new_pairs": "New pairs",
        "dropped_pairs": "Pairs dropped",
        "pairs_written": "Pairs written",
    },
    summary=_mine_summary,
    notice=lambda job: "Rephrase chains are being mined for rewrites.",
)

BUILD_REWRITER = JobKind(
    kind=BUILD_REWRITER_JOB,
    label="Building the rewriter",
    run=build_rewriter_job_run,
    start_role=Role.ADMIN.value,
    rate_unit="dialogues",
    result_names={
        "rewriter": "Rewriter version",
        "attempts": "Requests read",
        "failed": "Requests that failed",
        "served_utterances": "Served utterances",
        "people": "People",
        "markov_rewrites": "Markov rewrites",
    },
    summary=_build_summary,
    notice=lambda job: "The online rewriter is being built from this dataset's logs.",
)


def register() -> None:
    job_kind_register(MINE_REWRITES)
    job_kind_register(BUILD_REWRITER)
