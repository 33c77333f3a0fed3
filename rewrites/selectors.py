"""Reads of the rewrites app: pairs by status, the blocklist, the served pair of an utterance, and the
active rewriter with what its replay found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotations.models import Dataset
from rewrites.models import RewriteBlock, RewritePair, RewriterVersion

SERVED = (RewritePair.Status.ACCEPTED, RewritePair.Status.EDITED)


def rewrite_pair_list(dataset: Dataset, status: str | None = None) -> QuerySet[RewritePair]:
    pairs = RewritePair.objects.filter(dataset=dataset)
    if status:
        pairs = pairs.filter(status=status)
    return pairs.order_by("-probability", "-support", "source")


def rewrite_pair_get(dataset: Dataset, pk: int) -> RewritePair:
    pair = RewritePair.objects.filter(dataset=dataset, pk=pk).first()
    if pair is None:
        raise Http404("No such rewrite pair.")
    return pair


def rewrite_pair_counts(dataset: Dataset) -> dict[str, int]:
    counts = RewritePair.objects.filter(dataset=dataset).aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in RewritePair.Status.values}
    )
    return {status: int(count) for status, count in counts.items()}


def blocked_utterances(dataset: Dataset) -> set[str]:
    return set(RewriteBlock.objects.filter(dataset=dataset).values_list("utterance", flat=True))


def rewrite_block_list(dataset: Dataset) -> QuerySet[RewriteBlock]:
    return RewriteBlock.objects.filter(dataset=dataset).order_by("utterance")


def rewrite_block_get(dataset: Dataset, pk: int) -> RewriteBlock:
    block = RewriteBlock.objects.filter(dataset=dataset, pk=pk).first()
    if block is None:
        raise Http404("No such blocked utterance.")
    return block


def served_pairs(dataset: Dataset) -> QuerySet[RewritePair]:
    """Accepted and edited pairs whose source and target are not blocked, best first."""
    blocked = RewriteBlock.objects.filter(dataset=dataset).values("utterance")
    return (
        RewritePair.objects.filter(dataset=dataset, status__in=SERVED)
        .exclude(source__in=blocked)
        .exclude(target__in=blocked)
        .order_by("-probability", "-support", "source")
    )


def served_pair(dataset: Dataset, source: str) -> RewritePair | None:
    """The reviewed pair for this (normalised) utterance, unless either side is blocked."""
    pair = RewritePair.objects.filter(dataset=dataset, source=source, status__in=SERVED).first()
    if pair is None:
        return None
    blocked = RewriteBlock.objects.filter(dataset=dataset, utterance__in=[pair.source, pair.target]).exists()
    return None if blocked else pair


REPLAY_VIEWS = (("global", "The global layer alone"), ("global_and_personal", "With the personal layer"))


@dataclass(frozen=True)
class ReplayFigures:
    """One layer's held-out replay, judged by the assistant that logged the requests."""

    label: str
    wins: int
    losses: int
    win_loss: float | None  # None: no loss
    coverage: float
    defect_rate_before: float
    defect_rate_after: float
    defects_cut: float


@dataclass(frozen=True)
class RewriterSummary:
    version: RewriterVersion
    attempts: int
    people: int
    held_out_wins: int  # by the logs' own judge, which the thresholds were chosen on
    held_out_losses: int
    replay: list[ReplayFigures]  # empty: the logs carry no assistant to judge with


def rewriter_summary(dataset: Dataset) -> RewriterSummary | None:
    """The active rewriter of the dataset and its replay's figures (one query)."""
    version = RewriterVersion.objects.filter(dataset=dataset, active=True).first()
    if version is None:
        return None
    stats: dict[str, Any] = version.stats or {}
    replay = stats.get("assistant_replay") or {}
    return RewriterSummary(
        version=version,
        attempts=int(stats.get("attempts", 0)),
        people=int(stats.get("people", 0)),
        held_out_wins=int(stats.get("held_out_wins", 0)),
        held_out_losses=int(stats.get("held_out_losses", 0)),
        replay=[
            ReplayFigures(
                label=label,
                wins=int(figures.get("wins", 0)),
                losses=int(figures.get("losses", 0)),
                win_loss=figures.get("win_loss"),
                coverage=float(figures.get("coverage", 0.0)),
                defect_rate_before=float(figures.get("defect_rate_before", 0.0)),
                defect_rate_after=float(figures.get("defect_rate_after", 0.0)),
                defects_cut=float(figures.get("defects_cut", 0.0)),
            )
            for key, label in REPLAY_VIEWS
            if isinstance(figures := replay.get(key), dict)
        ],
    )
