"""Reads for the quality dashboards: the model against reviewers' verdicts (accuracy, reliability and
the precision-coverage curve that auto-accept thresholds are chosen on), reviewer agreement and
throughput by day, the logs' failures (from the dataset's kept counts), and model versions compared on
the same gold (their recorded evaluations, with the reliability of the first one's confidences on it).

Every read is an aggregate query or reads kept counts, so a dashboard costs a fixed number of queries
whatever the dataset's size: verdicts are as many as people made, and the per-label counts over
millions of labels come from ``DatasetStats.quality``, counted in the workers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db.models import CharField, Count, F, Func, Q, Sum
from django.db.models.functions import Floor

from annotations.models import CONFIDENCE_BINS, Dataset, DatasetStats, LabelKind, LabelSource
from models_app.selectors import (
    HEADLINE_METRICS,
    LabelCalibration,
    dataset_evaluations_latest,
    evaluation_calibration,
    metric,
)
from review.models import LabelReview, ReviewDecision
from review.rules import verdict_key
from review.selectors import dataset_verdicts


@dataclass
class ConfidenceBin:
    lower: float  # the bin is [lower, lower + 1/CONFIDENCE_BINS)
    verdicts: int
    right: int
    confidence_sum: float

    @property
    def mean_confidence(self) -> float:
        return self.confidence_sum / self.verdicts

    @property
    def fraction_right(self) -> float:
        return self.right / self.verdicts


# A threshold resting on fewer reviews than this is shown as a rough guess: at 50 reviews and 90%
# precision, the 95% interval still runs from 79% to 96%.
FEW_REVIEWS = 50


@dataclass
class CurvePoint:
    """Auto-accept at ``threshold``: the share of reviewed proposals at or above it (coverage), how
    many of those reviewers accepted (precision) with its 95% Wilson interval (how far the precision
    of all such proposals may be from what these reviews show), and how many waiting proposals it
    would accept."""

    threshold: float
    reviewed: int
    precision: float
    coverage: float
    would_accept: int
    precision_low: float = 0.0
    precision_high: float = 1.0

    @property
    def few(self) -> bool:
        return self.reviewed < FEW_REVIEWS


@dataclass
class KindQuality:
    kind: str
    name: str
    verdicts: int = 0
    right: int = 0
    bins: list[ConfidenceBin] = field(default_factory=list)
    curve: list[CurvePoint] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        return self.right / self.verdicts if self.verdicts else None

    @property
    def few(self) -> bool:
        """Too few reviews for a threshold chosen from them to be more than a rough guess."""
        return self.verdicts < FEW_REVIEWS


def model_quality(dataset: Dataset, stats: DatasetStats | None) -> list[KindQuality]:
    """Per label kind reviewers have judged, the model's proposals against their verdicts (an accept
    says the proposal was right; a correction or a rejection, wrong), by confidence bin: one query.

    The reliability diagram is ``sklearn.calibration.calibration_curve(strategy="uniform")`` on these
    verdicts, counted by the database; the curve is ``precision_recall_curve`` read at the bins' lower
    edges, with coverage (the share of reviewed proposals kept) in place of recall."""
    rows = (
        dataset_verdicts(dataset)
        .filter(
            label__source_type=LabelSource.MODEL,
            label__confidence__isnull=False,
        )
        .order_by()
        .annotate(bin=Floor(F("label__confidence") * CONFIDENCE_BINS))
        .values_list("label__kind", "bin")
        .annotate(
            n=Count("id"),
            right=Count("id", filter=Q(decision=ReviewDecision.ACCEPT)),
            confidence=Sum("label__confidence"),
        )
    )
    bins: dict[str, dict[int, ConfidenceBin]] = defaultdict(dict)
    for kind, raw_bin, n, right, confidence in rows:
        number = min(int(raw_bin), CONFIDENCE_BINS - 1)  # a confidence of 1 joins the top bin
        found = bins[kind].get(number)
        if found is None:
            bins[kind][number] = ConfidenceBin(number / CONFIDENCE_BINS, n, right, float(confidence))
        else:
            found.verdicts, found.right = found.verdicts + n, found.right + right
            found.confidence_sum += float(confidence)
    waiting: dict[str, dict[int, int]] = defaultdict(dict)
    quality = stats.quality if stats is not None and isinstance(stats.quality, dict) else {}
    for kind, number, n in quality.get("proposed_confidence", []):
        waiting[kind][int(number)] = n
    result = []
    for kind in LabelKind:
        if kind.value not in bins:
            continue
        row = KindQuality(kind=kind.value, name=kind.label)
        row.bins = [bins[kind.value][number] for number in sorted(bins[kind.value])]
        row.verdicts = sum(b.verdicts for b in row.bins)
        row.right = sum(b.right for b in row.bins)
        row.curve = _curve(bins[kind.value], waiting[kind.value], row.verdicts)
        result.append(row)
    return result


def _curve(bins: dict[int, ConfidenceBin], waiting: dict[int, int], total: int) -> list[CurvePoint]:
    """From the top bin down, the running counts at each lower edge (thresholds ascending), each
    precision with its interval (statsmodels' ``proportion_confint``, Wilson's method: right near 0 and
    1 and at small counts, where the normal approximation's interval leaves [0, 1])."""
    points = []
    accepts = []
    reviewed = right = accepted = 0
    for number in range(CONFIDENCE_BINS - 1, -1, -1):
        found = bins.get(number)
        if found is not None:
            reviewed, right = reviewed + found.verdicts, right + found.right
        accepted += waiting.get(number, 0)
        if reviewed:
            accepts.append(right)
            points.append(
                CurvePoint(
                    threshold=number / CONFIDENCE_BINS,
                    reviewed=reviewed,
                    precision=right / reviewed,
                    coverage=reviewed / total,
                    would_accept=accepted,
                )
            )
    if points:
        # Imported here: statsmodels takes seconds to import, and only this page needs it.
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(
            np.array(accepts), np.array([p.reviewed for p in points]), alpha=0.05, method="wilson"
        )
        for point, lower, upper in zip(points, low, high, strict=True):
            point.precision_low, point.precision_high = float(lower), float(upper)
    return points[::-1]


@dataclass
class DayActivity:
    day: str  # ISO date
    verdicts: int
    reviewers: int
    # Of the labels whose last verdict fell on the day and that have two or more, the share of
    # reviewer pairs that agree (None when there were none).
    compared: int = 0
    agreement: float | None = None


class UtcDay(Func):
    """The UTC day of a datetime as ISO text, by the database's own functions. Django's ``TruncDate``
    calls a Python function per row on SQLite: 23 ms of the Quality page for 8,000 verdicts."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps a datetime as UTC text, which date() reads.
        return self.as_sql(compiler, connection, template="date(%(expressions)s)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            **extra,
        )


def review_activity(dataset: Dataset) -> list[DayActivity]:
    """Reviewers' throughput and agreement by day: verdicts and reviewers counted in SQL, agreement
    from the verdicts of the labels that two or more reviewers decided."""
    days = {
        str(day): DayActivity(day=str(day), verdicts=n, reviewers=people)
        for day, n, people in dataset_verdicts(dataset)
        .order_by()
        .annotate(day=UtcDay("created_at"))
        .values_list("day")
        .annotate(n=Count("id"), people=Count("reviewer_id", distinct=True))
        .values_list("day", "n", "people")
    }
    verdicts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    # Only labels with two verdicts or more can agree: the rest stay in the database.
    twice = (
        dataset_verdicts(dataset)
        .order_by()
        .values("label_id")
        .annotate(verdicts=Count("id"))
        .filter(verdicts__gte=2)
        .values("label_id")
    )
    for label_id, kind, decision, value, created_at in (
        LabelReview.objects.filter(label_id__in=twice)
        .order_by("label_id", "created_at")
        .values_list("label_id", "label__kind", "decision", "value", "created_at")
    ):
        verdicts[label_id].append((created_at.date().isoformat(), verdict_key(kind, decision, value)))
    pairs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for seen in verdicts.values():
        if len(seen) < 2:
            continue
        keys = [key for _, key in seen]
        agreeing = sum(a == b for i, a in enumerate(keys) for b in keys[i + 1 :])
        counts = pairs[seen[-1][0]]
        counts[0] += agreeing
        counts[1] += len(keys) * (len(keys) - 1) // 2
    for day, (agreeing, compared) in pairs.items():
        activity = days.setdefault(day, DayActivity(day=day, verdicts=0, reviewers=0))
        activity.compared, activity.agreement = compared, agreeing / compared
    return [days[day] for day in sorted(days)]


# The failures plot and its table show at most this many periods: a day each while the logs span no
# more, otherwise a week, a month or a year each. Logs spread over five years drew 1,855 days, and
# rendering their table (13,000 cells) took 1.5 s of the Quality page at 20,000 dialogues.
MAX_PERIODS = 92
# What each period is called in the table's heading.
PERIOD_HEADINGS = {"day": "Day", "week": "Week from", "month": "Month", "year": "Year"}


@dataclass
class FailureQuality:
    period: str  # "day", "week" (from its Monday), "month" or "year": what each of ``periods`` spans
    periods: list[str]  # ISO: "2026-11-02" (a day, or a week's Monday), "2026-11", "2026"
    # failure point -> failed turns in each of ``periods`` ("none" left out: the turns that worked)
    failures: dict[str, list[int]]
    turns: list[int]  # turns with a settled failure point, each period
    defect_rate: list[float | None]
    defect_turns: list[int]
    # (intent, failed turns, turns), most failures first
    intents: list[tuple[str, int, int]]

    @property
    def period_heading(self) -> str:
        return PERIOD_HEADINGS[self.period]


def failure_quality(stats: DatasetStats | None, *, top_intents: int = 12) -> FailureQuality:
    """The logs' failures by period (the shortest of day, week, month and year that draws at most
    ``MAX_PERIODS``) and the intents that fail most, from the kept counts: no query."""
    quality = stats.quality if stats is not None and isinstance(stats.quality, dict) else {}
    failures_by_day = quality.get("failures_by_day", [])
    defects_by_day = quality.get("defects_by_day", [])
    days = {day for day, _, _ in failures_by_day} | {day for day, _, _ in defects_by_day}
    period = _period_for(sorted(days))
    by_period: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, point, n in failures_by_day:
        by_period[_period_of(day, period)][point] += n
    defects: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, defective, turns in defects_by_day:
        counts = defects[_period_of(day, period)]
        counts[0] += defective
        counts[1] += turns
    periods = sorted(set(by_period) | set(defects))
    points = sorted({point for counts in by_period.values() for point in counts} - {"none"})
    no_defects = (0, 0)
    return FailureQuality(
        period=period,
        periods=periods,
        failures={point: [by_period[key].get(point, 0) for key in periods] for point in points},
        turns=[sum(by_period[key].values()) for key in periods],
        defect_rate=[
            defects[key][0] / defects[key][1] if defects.get(key, no_defects)[1] else None for key in periods
        ],
        defect_turns=[defects.get(key, no_defects)[1] for key in periods],
        intents=[(name, failed, turns) for name, failed, turns in quality.get("failing_intents", [])][
            :top_intents
        ],
    )


def _period_for(days: list[str]) -> str:
    """The shortest period that cuts the span of these ISO days (sorted) into at most MAX_PERIODS."""
    if not days:
        return "day"
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    if (last - first).days < MAX_PERIODS:
        return "day"
    weeks = (last - timedelta(days=last.weekday()) - (first - timedelta(days=first.weekday()))).days // 7
    if weeks < MAX_PERIODS:
        return "week"
    if (last.year - first.year) * 12 + last.month - first.month < MAX_PERIODS:
        return "month"
    return "year"


def _period_of(day: str, period: str) -> str:
    """The ISO name of the period that holds the ISO day ``day``."""
    if period == "day":
        return day
    if period == "week":
        start = date.fromisoformat(day)
        return (start - timedelta(days=start.weekday())).isoformat()  # its Monday
    return day[:7] if period == "month" else day[:4]


@dataclass
class ModelComparison:
    models: list[str]  # the evaluated versions, newest evaluation first
    evaluated_at: list[Any]
    dialogues: list[int]
    # (metric's name, value of each model or None)
    metrics: list[tuple[str, list[float | None]]]
    # The first model's confidences against this gold, per label: the reliability diagram its
    # evaluation recorded (none for an evaluation recorded before they were measured).
    calibration: list[LabelCalibration] = field(default_factory=list)
    # The names of every version evaluated on this dataset, for the choice of the two compared.
    available: list[str] = field(default_factory=list)


def model_comparison(dataset: Dataset, *, chosen: list[str] | None = None) -> ModelComparison:
    """Model versions on the dataset's gold: each version's latest evaluation here (``ModelEvaluation``,
    whether a job, the command or a recipe recorded it; one query). The two newest by default, or the
    versions ``chosen`` by name; the calibration of the first one's confidences on this gold."""
    latest = {evaluation.model_version.name: evaluation for evaluation in dataset_evaluations_latest(dataset)}
    names = [name for name in (chosen or []) if name in latest] or list(latest)[:2]
    evaluations = [latest[name] for name in names]
    return ModelComparison(
        models=names,
        evaluated_at=[evaluation.created_at for evaluation in evaluations],
        dialogues=[evaluation.dialogues for evaluation in evaluations],
        metrics=[
            (label, [metric(evaluation.metrics, key) for evaluation in evaluations])
            for key, label in HEADLINE_METRICS
        ],
        calibration=evaluation_calibration(evaluations[0].metrics) if evaluations else [],
        available=sorted(latest),
    )
