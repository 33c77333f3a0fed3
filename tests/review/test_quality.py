"""The quality dashboards' reads: the model against reviewers' verdicts, its reliability diagram (as
sklearn's calibration_curve draws it), the precision-coverage curve that auto-accept is chosen on, the
reviewers' days, the logs' failures from the kept counts, and model versions compared on the gold."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import CONFIDENCE_BINS, DatasetStats, Label, LabelKind, LabelStatus, Membership, Role
from models_app.models import ModelEvaluation, ModelVersion
from review.charts import gold_reliability_chart
from review.models import AutoAcceptRule, LabelReview
from review.quality import (
    FEW_REVIEWS,
    MAX_PERIODS,
    ConfidenceBin,
    _curve,
    failure_quality,
    model_comparison,
    model_quality,
    review_activity,
)
from tests.review.quality_helpers import make_quality_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(dataset, reviewer, make_user):
    second = make_user("sam")
    Membership.objects.create(dataset=dataset, user=second, role=Role.REVIEWER)
    make_quality_dataset(dataset, [reviewer, second])
    dataset.refresh_from_db()
    return dataset


def _intent(dataset):
    return next(kind for kind in model_quality(dataset, dataset.stats) if kind.kind == LabelKind.INTENT)


def test_the_model_is_scored_by_reviewers_accepts(reviewed):
    verdicts = LabelReview.objects.filter(label__kind=LabelKind.INTENT)
    intent = _intent(reviewed)
    assert intent.verdicts == verdicts.count()
    assert intent.right == verdicts.filter(decision="accept").count()


def test_the_reliability_diagram_is_sklearns_calibration_curve(reviewed):
    from sklearn.calibration import calibration_curve

    rows = list(
        LabelReview.objects.filter(label__kind=LabelKind.INTENT).values_list("label__confidence", "decision")
    )
    confidence = np.array([c for c, _ in rows])
    right = np.array([decision == "accept" for _, decision in rows])
    expected_right, expected_confidence = calibration_curve(right, confidence, n_bins=CONFIDENCE_BINS)
    bins = _intent(reviewed).bins
    assert [b.fraction_right for b in bins] == pytest.approx(list(expected_right))
    assert [b.mean_confidence for b in bins] == pytest.approx(list(expected_confidence))


def test_each_threshold_gives_precision_coverage_and_the_proposals_it_would_accept(reviewed):
    rows = list(
        LabelReview.objects.filter(label__kind=LabelKind.INTENT).values_list("label__confidence", "decision")
    )
    curve = _intent(reviewed).curve
    assert curve[0].coverage == 1
    for point in curve:
        kept = [decision for confidence, decision in rows if confidence >= point.threshold]
        assert point.reviewed == len(kept)
        assert point.precision == pytest.approx(kept.count("accept") / len(kept))
    # The helper leaves the proposals waiting (verdicts written directly): 0 accepts every one of them.
    waiting = Label.objects.filter(
        kind=LabelKind.INTENT, status=LabelStatus.PROPOSED, confidence__isnull=False
    )
    assert curve[0].would_accept == waiting.count()
    assert curve[-1].would_accept == waiting.filter(confidence__gte=curve[-1].threshold).count()


def test_each_precision_carries_its_95_percent_wilson_interval_which_narrows_with_more_reviews():
    # 18 of 20 accepted in the top bin, 180 of 200 from the next one up: the same 90%, told apart.
    top = CONFIDENCE_BINS - 1
    bins = {
        top: ConfidenceBin(top / CONFIDENCE_BINS, 20, 18, 19.0),
        top - 1: ConfidenceBin(0.9, 180, 162, 165.0),
    }
    high, low = _curve(bins, {}, 200)[::-1][:2]
    assert (high.threshold, high.reviewed, high.precision) == (top / CONFIDENCE_BINS, 20, 0.9)
    assert (high.precision_low, high.precision_high) == pytest.approx((0.699, 0.972), abs=0.001)
    assert (low.reviewed, low.precision) == (200, 0.9)
    assert (low.precision_low, low.precision_high) == pytest.approx((0.851, 0.934), abs=0.001)
    assert high.few and not low.few


def test_the_auto_accept_page_says_how_many_reviews_a_threshold_rests_on_and_warns_when_few(
    client, reviewed, make_user
):
    admin = make_user("ada")
    Membership.objects.create(dataset=reviewed, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    intent = _intent(reviewed)
    assert intent.verdicts < FEW_REVIEWS
    html = client.get(reverse("review:dataset-auto-accept", args=[reviewed.name])).content.decode()
    assert (
        f"Only {intent.verdicts} reviews of intent labels: a threshold chosen from so few is a rough guess"
        in html
    )
    top = intent.curve[-1]
    assert f"{top.precision_low:.0%} to {top.precision_high:.0%}" in html
    assert f"from {top.reviewed} review" in html  # in the curve's tips


def test_reviewers_days_count_verdicts_and_agreement(reviewed):
    (day,) = review_activity(reviewed)
    assert day.verdicts == LabelReview.objects.count()
    assert day.reviewers == 2
    assert day.agreement == 1


def test_failures_come_by_day_from_the_kept_counts(reviewed, django_assert_num_queries):
    stats = reviewed.stats
    with django_assert_num_queries(0):
        failures = failure_quality(stats)
    assert failures.period == "day"
    assert failures.periods == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert set(failures.failures) == {"asr", "nlu", "entity"}
    assert sum(failures.turns) == 24  # 12 dialogues of two turns
    assert failures.defect_rate[0] == pytest.approx(
        sum(failures.failures[p][0] for p in failures.failures) / failures.turns[0]
    )
    assert failures.intents and failures.intents[0][1] >= failures.intents[-1][1]


def _spread_over(days: list[str]) -> DatasetStats:
    """Kept counts of logs with an ASR failure and a defect on each of these days."""
    quality = {
        "failures_by_day": [[day, point, n] for day in days for point, n in (("asr", 1), ("none", 3))],
        "defects_by_day": [[day, 1, 4] for day in days],
    }
    return DatasetStats(quality=quality, computed_at=timezone.now())


@pytest.mark.parametrize(
    ("span_days", "period", "periods"),
    [(MAX_PERIODS, "day", MAX_PERIODS), (MAX_PERIODS + 1, "week", 14), (5 * 365, "month", 60)],
)
def test_failures_of_a_long_log_are_summed_by_week_or_month(span_days, period, periods):
    """At most MAX_PERIODS rows in the table and bars in the plot, whatever the logs' span; the sums
    keep every turn (a five-year log drew 1,825 days and its table took 1.5 s to render)."""
    first = date(2024, 1, 1)  # a Monday
    days = [(first + timedelta(days=number)).isoformat() for number in range(span_days)]
    failures = failure_quality(_spread_over(days))
    assert failures.period == period
    assert len(failures.periods) == periods
    assert sum(failures.failures["asr"]) == span_days
    assert sum(failures.turns) == 4 * span_days
    assert failures.defect_rate == [pytest.approx(0.25)] * periods
    if period == "week":
        assert failures.periods[:2] == ["2024-01-01", "2024-01-08"]  # each week by its Monday


def test_failures_of_logs_spanning_decades_come_by_year():
    failures = failure_quality(_spread_over(["2001-05-02", "2026-11-30"]))
    assert failures.period == "year"
    assert failures.periods == ["2001", "2026"]


def test_the_quality_page_compares_the_evaluations_the_model_page_lists(client, reviewed, reviewer):
    """Whoever recorded them (a job, the evaluate command, a recipe, the demo's foreground set-up)."""
    client.force_login(reviewer)
    html = client.get(reverse("review:agreement", args=[reviewed.name])).content.decode()
    assert "No model has been evaluated on this dataset yet" not in html
    assert "labeller-v1" in html and "labeller-v2" in html


def test_two_model_versions_are_compared_on_the_same_gold(reviewed):
    comparison = model_comparison(reviewed)
    assert sorted(comparison.models) == ["labeller-v1", "labeller-v2"]
    accuracy = dict(comparison.metrics)["Intent accuracy"]
    assert sorted(accuracy) == [0.62, 0.91]


def test_the_newest_evaluation_brings_the_reliability_of_its_confidences_on_the_gold(reviewed):
    comparison = model_comparison(reviewed)
    assert comparison.models[0] == "labeller-v2"
    assert [label.label for label in comparison.calibration] == ["intent", "defect"]
    assert comparison.available == ["labeller-v1", "labeller-v2"]
    # The older version's evaluation recorded none: chosen first, it has nothing to draw.
    assert model_comparison(reviewed, chosen=["labeller-v1", "labeller-v2"]).calibration == []


def test_the_gold_reliability_chart_draws_one_line_per_label_over_the_diagonal(reviewed):
    calibration = model_comparison(reviewed).calibration
    config = gold_reliability_chart(calibration)

    diagonal, intent, defect = config["data"]["datasets"]
    assert diagonal["label"] == "Perfectly calibrated" and diagonal["data"][-1] == {"x": 100, "y": 100}
    assert (intent["label"], defect["label"]) == ("Intent", "Defect")
    first = calibration[0].bins[0]
    assert intent["data"][0]["x"] == round(100 * first.confidence, 1)
    assert intent["data"][0]["y"] == round(100 * first.right, 1)
    assert f"of {first.predictions} predictions" in intent["data"][0]["tip"]
    assert config["options"]["scales"]["x"]["title"]["text"] == "mean confidence (%)"


def test_the_quality_page_shows_the_calibration_on_the_gold_with_its_numbers(client, reviewed, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("review:agreement", args=[reviewed.name])).content.decode()
    assert "Reliability of the model's confidence against this dataset's gold: labeller-v2" in html
    assert "Reliability of the model's confidence against reviewers' verdicts" in html
    assert 'data-verdict="calibrated"' in html and 'data-verdict="overconfident"' in html
    assert "not against reviewers' verdicts" in html


def test_the_gold_reliability_says_when_no_model_was_evaluated_or_measured_none(
    client, dataset, reviewer, make_user
):
    client.force_login(reviewer)
    url = reverse("review:agreement", args=[dataset.name])
    html = client.get(url).content.decode()
    assert "No model has been evaluated on this dataset's gold yet, so there is no reliability" in html
    assert 'data-chart="chart-gold-reliability"' not in html

    ModelEvaluation.objects.create(
        model_version=ModelVersion.objects.create(name="old-labeller"), dataset=dataset, metrics={}
    )
    html = client.get(url).content.decode()
    assert "old-labeller's latest evaluation here recorded no reliability" in html
    assert 'data-chart="chart-gold-reliability"' not in html


def test_the_quality_page_draws_every_plot_with_its_table(client, reviewed, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("review:agreement", args=[reviewed.name])).content.decode()
    for chart in (
        "accuracy",
        "reliability",
        "activity",
        "failures",
        "intents",
        "comparison",
        "gold-reliability",
    ):
        assert f'data-chart="chart-{chart}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "No corroborated gold yet: how to get it" in html


def test_a_row_of_the_curve_sets_that_kinds_threshold(client, reviewed, make_user):
    admin = make_user("ada")
    Membership.objects.create(dataset=reviewed, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    url = reverse("review:dataset-auto-accept", args=[reviewed.name])
    assert 'data-chart="chart-curve"' in client.get(url).content.decode()
    assert client.post(url, {"use": "intent:0.65"}).status_code == 302
    assert dict(AutoAcceptRule.objects.values_list("kind", "threshold")) == {"intent": 0.65}
