"""The quality dashboards' plots as Chart.js configurations (static/vendor/chartjs, drawn by
static/js/charts.js): plain JSON built from the selectors' results, so the page's script only draws
and every number it draws is also in the table beside the plot."""

from __future__ import annotations

from typing import Any

from models_app.selectors import LabelCalibration
from review.quality import DayActivity, FailureQuality, KindQuality, ModelComparison

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563", "#65a30d")


def _colour(number: int) -> str:
    return PALETTE[number % len(PALETTE)]


def _percent_axis(title: str) -> dict[str, Any]:
    return {"min": 0, "max": 100, "title": {"display": True, "text": title}}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def accuracy_chart(kinds: list[KindQuality]) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [kind.name for kind in kinds],
            "datasets": [
                {
                    "label": "Proposals reviewers accepted (%)",
                    "data": [_pct(kind.accuracy) for kind in kinds],
                    "backgroundColor": _colour(0),
                }
            ],
        },
        "options": {"scales": {"y": _percent_axis("accepted (%)")}},
    }


# A reliability diagram's series: (its name, its points as (mean confidence, share right, how many)).
Reliability = list[tuple[str, list[tuple[float, float, int]]]]


def _reliability_diagram(series: Reliability, *, counted: str) -> dict[str, Any]:
    """Mean confidence (x) against the share right (y), one line per series, over the diagonal of a
    perfectly calibrated model; ``counted`` names what each point's count is of."""
    datasets: list[dict[str, Any]] = [
        {
            "label": "Perfectly calibrated",
            "data": [{"x": 0, "y": 0}, {"x": 100, "y": 100}],
            "borderColor": "#9ca3af",
            "borderDash": [6, 4],
            "pointRadius": 0,
            "showLine": True,
        }
    ]
    for number, (name, points) in enumerate(series):
        datasets.append(
            {
                "label": name,
                "data": [
                    {
                        "x": _pct(confidence),
                        "y": _pct(right),
                        "tip": f"{name}: confidence {confidence:.2f}, {right:.0%} right of {n:,} {counted}",
                    }
                    for confidence, right, n in points
                ],
                "borderColor": _colour(number),
                "backgroundColor": _colour(number),
                "showLine": True,
            }
        )
    return {
        "type": "scatter",
        "data": {"datasets": datasets},
        "options": {"scales": {"x": _percent_axis("mean confidence (%)"), "y": _percent_axis("right (%)")}},
    }


def reliability_chart(kinds: list[KindQuality]) -> dict[str, Any]:
    """The model's proposals against reviewers' verdicts, per label kind."""
    series = [
        (kind.name, [(point.mean_confidence, point.fraction_right, point.verdicts) for point in kind.bins])
        for kind in kinds
    ]
    return _reliability_diagram(series, counted="verdicts")


def gold_reliability_chart(calibration: list[LabelCalibration]) -> dict[str, Any]:
    """The model's predictions against the dataset's gold, per label, as its evaluation recorded them."""
    series = [
        (label.name, [(point.confidence, point.right, point.predictions) for point in label.bins])
        for label in calibration
    ]
    return _reliability_diagram(series, counted="predictions")


def precision_coverage_chart(kinds: list[KindQuality]) -> dict[str, Any]:
    """One curve per kind; a point carries its kind and threshold, so a click can set the rule."""
    return {
        "type": "scatter",
        "data": {
            "datasets": [
                {
                    "label": kind.name,
                    "data": [
                        {
                            "x": _pct(point.coverage),
                            "y": _pct(point.precision),
                            "kind": kind.kind,
                            "threshold": point.threshold,
                            "tip": f"{kind.name} at {point.threshold:.2f}: precision "
                            f"{point.precision:.1%} (95% interval {point.precision_low:.0%} to "
                            f"{point.precision_high:.0%}, from {point.reviewed:,} "
                            f"review{'' if point.reviewed == 1 else 's'}), coverage {point.coverage:.0%}, "
                            f"would accept {point.would_accept:,} waiting",
                        }
                        for point in kind.curve
                    ],
                    "borderColor": _colour(number),
                    "backgroundColor": _colour(number),
                    "showLine": True,
                }
                for number, kind in enumerate(kinds)
            ]
        },
        "options": {
            "scales": {
                "x": _percent_axis("coverage: reviewed proposals at or above the threshold (%)"),
                "y": _percent_axis("precision: of those, accepted by reviewers (%)"),
            }
        },
    }


def activity_chart(days: list[DayActivity]) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [day.day for day in days],
            "datasets": [
                {
                    "label": "Verdicts",
                    "data": [day.verdicts for day in days],
                    "backgroundColor": _colour(0),
                    "yAxisID": "y",
                },
                {
                    "type": "line",
                    "label": "Agreement between reviewers (%)",
                    "data": [_pct(day.agreement) for day in days],
                    "borderColor": _colour(1),
                    "backgroundColor": _colour(1),
                    "yAxisID": "y1",
                    "spanGaps": True,
                },
            ],
        },
        "options": {
            "scales": {
                "y": {"beginAtZero": True, "title": {"display": True, "text": "verdicts"}},
                "y1": {
                    **_percent_axis("agreement (%)"),
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                },
            }
        },
    }


def failures_chart(failures: FailureQuality) -> dict[str, Any]:
    datasets: list[dict[str, Any]] = [
        {
            "label": point,
            "data": counts,
            "backgroundColor": _colour(number),
            "stack": "failures",
            "yAxisID": "y",
        }
        for number, (point, counts) in enumerate(failures.failures.items())
    ]
    datasets.append(
        {
            "type": "line",
            "label": "Defect rate (%)",
            "data": [_pct(rate) for rate in failures.defect_rate],
            "borderColor": "#111827",
            "backgroundColor": "#111827",
            "yAxisID": "y1",
            "spanGaps": True,
        }
    )
    return {
        "type": "bar",
        "data": {"labels": failures.periods, "datasets": datasets},
        "options": {
            "scales": {
                "x": {"stacked": True},
                "y": {
                    "stacked": True,
                    "beginAtZero": True,
                    "title": {"display": True, "text": "failed turns"},
                },
                "y1": {
                    **_percent_axis("defect rate (%)"),
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                },
            }
        },
    }


def intents_chart(failures: FailureQuality) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [name for name, _, _ in failures.intents],
            "datasets": [
                {
                    "label": "Failed turns",
                    "data": [failed for _, failed, _ in failures.intents],
                    "backgroundColor": _colour(1),
                }
            ],
        },
        "options": {"indexAxis": "y", "scales": {"x": {"beginAtZero": True}}},
    }


def comparison_chart(comparison: ModelComparison) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [name for name, _ in comparison.metrics],
            "datasets": [
                {
                    "label": model,
                    "data": [_pct(values[number]) for _, values in comparison.metrics],
                    "backgroundColor": _colour(number),
                }
                for number, model in enumerate(comparison.models)
            ],
        },
        "options": {"scales": {"y": _percent_axis("on the dataset's gold (%)")}},
    }
