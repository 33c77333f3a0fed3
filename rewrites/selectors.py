"""Reads of the rewrites app: pairs by status, the blocklist, the served pair of an utterance."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotations.models import Dataset
from rewrites.models import RewriteBlock, RewritePair

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
