"""The kept counts of a dataset (``DatasetStats``): what the datasets list, the overview and the
quality dashboards read instead of counting millions of labels in a request. Counted in a worker
after imports and labelling jobs, or when a page finds labels changed since (other apps reach these
through ``annotations.services``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Floor, Substr
from django.utils import timezone

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
    Turn,
)
from annotations.selectors import datasets_changed_since_counted
from jobs.services import background_call_on_commit

# A page asks for a refresh at most this often per dataset, however many people look.
REFRESH_EVERY = timedelta(seconds=30)


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
    for dataset_id in asked:
        background_call_on_commit(name=STATS_REFRESH, dataset_id=dataset_id)


STATS_REFRESH = "annotations.dataset_stats_refresh"  # the background action (annotations.apps)


def dataset_stats_refresh_if_it_exists(*, dataset_id: int) -> None:
    """The background action: a dataset deleted since it was asked for has nothing to count."""
    if Dataset.objects.filter(pk=dataset_id).exists():
        dataset_stats_refresh(dataset_id=dataset_id)


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
