"""The quality dashboards in a real browser: every plot is drawn (a canvas with marks, no script error),
choosing a point of the precision-coverage curve puts its threshold in the rules, and the overview and
the Quality page are photographed for the guide (``make screenshots`` refreshes docs/overview.png and
docs/dashboard.png; otherwise the pictures go to a temporary folder)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Membership, Role
from models_app.selectors import evaluation_calibration
from tests.e2e.conftest import assert_is_a_picture_of_the_page
from tests.review.quality_helpers import gold_calibration, make_quality_dataset

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reviewed(make_user):
    dataset = Dataset.objects.create(name="assistant-logs", description="A week of the kitchen speaker")
    ada, sam = make_user("ada"), make_user("sam")
    Membership.objects.create(dataset=dataset, user=ada, role=Role.ADMIN)
    Membership.objects.create(dataset=dataset, user=sam, role=Role.REVIEWER)
    make_quality_dataset(dataset, [ada, sam], dialogues=24)
    return ada, dataset


def _drawn(page, canvas_id: str) -> int:
    """How many marks the plot drew, once Chart.js has drawn it (0 for an empty plot)."""
    canvas = page.locator(f"#{canvas_id}")
    canvas.wait_for()
    # Waits by selector, not by a script: the Content-Security-Policy forbids evaluating strings.
    page.locator(f"#{canvas_id}[data-points]").wait_for(state="attached")
    assert canvas.evaluate("c => c.width > 0 && c.height > 0")
    # Something other than the background was painted.
    painted = "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
    assert canvas.evaluate(painted + ".some((v, i) => i % 4 === 3 && v > 0)")
    return int(canvas.get_attribute("data-points") or 0)


def test_the_quality_page_draws_every_plot(page_as, reviewed, screenshot):
    ada, dataset = reviewed
    page = page_as(ada)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(reverse("review:agreement", args=[dataset.name]))
    charts = ("accuracy", "reliability", "activity", "failures", "intents", "comparison", "gold-reliability")
    for chart in charts:
        assert _drawn(page, f"chart-{chart}-canvas") > 0, chart
    assert problems == []
    page.evaluate("document.getElementById('model-title').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(screenshot("dashboard.png")), full_page=False)
    assert_is_a_picture_of_the_page(page, screenshot("dashboard.png"))


def test_the_numbers_under_each_quality_plot_are_shown_whole(page_as, reviewed):
    ada, dataset = reviewed
    page = page_as(ada)
    page.goto(reverse("review:agreement", args=[dataset.name]))
    for summary in page.locator(".chart-pair details > summary").all():
        summary.click()
    tables = page.locator(".chart-pair .table-wrap")
    assert tables.count() >= 5
    for number in range(tables.count()):
        wrap = tables.nth(number)
        # What the box would need to show everything, against what it shows.
        needed, shown = wrap.evaluate(
            "w => [[w.scrollWidth, w.scrollHeight], [w.clientWidth, w.clientHeight]]"
        )
        assert needed[0] <= shown[0] and needed[1] <= shown[1], (number, needed, shown)
        card, table = wrap.locator("xpath=ancestor::section[1]").bounding_box(), wrap.bounding_box()
        assert table["x"] + table["width"] <= card["x"] + card["width"], number


def test_the_reliability_on_the_gold_draws_each_label_and_its_numbers_fold(page_as, reviewed):
    ada, dataset = reviewed
    page = page_as(ada)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(reverse("review:agreement", args=[dataset.name]))
    intent, defect = evaluation_calibration({"calibration": gold_calibration()})

    # The diagonal's two ends, then a point per bin of each label.
    assert _drawn(page, "chart-gold-reliability-canvas") == 2 + len(intent.bins) + len(defect.bins)
    section = page.locator("section").filter(has=page.locator("#gold-reliability-title"))
    assert "against this dataset's gold: labeller-v2" in section.get_by_role("heading").inner_text()
    numbers = section.locator("details.chart-numbers")
    summary = numbers.locator("summary")
    ece = numbers.get_by_role("row", name="Intent").first
    assert not ece.is_visible()
    summary.click()
    assert ece.is_visible()
    assert f"{intent.ece:.3f}" in ece.inner_text() and "calibrated" in ece.inner_text()
    assert "overconfident" in numbers.get_by_role("row", name="Defect").first.inner_text()
    summary.click()
    assert not ece.is_visible()
    assert problems == []


def test_choosing_a_point_of_the_curve_puts_its_threshold_in_the_rules(page_as, reviewed):
    ada, dataset = reviewed
    page = page_as(ada)
    page.goto(reverse("review:dataset-auto-accept", args=[dataset.name]))
    assert _drawn(page, "chart-curve-canvas") > 0
    page.locator("#chart-curve-canvas").scroll_into_view_if_needed()
    # The top point of the last curve drawn (curves may overlap: the last one drawn is on top).
    x, y, _kind, threshold = page.evaluate(
        """() => {
          const chart = Chart.getChart('chart-curve-canvas');
          const index = chart.data.datasets.length - 1;
          const meta = chart.getDatasetMeta(index);
          const point = meta.data[meta.data.length - 1];
          const raw = chart.data.datasets[index].data[meta.data.length - 1];
          const box = chart.canvas.getBoundingClientRect();
          return [box.left + point.x, box.top + point.y, raw.kind, raw.threshold];
        }"""
    )
    page.mouse.click(x, y)
    # Chart.js handles pointer events on the next animation frame.
    page.locator("#chart-curve-canvas-chosen:not(:empty)").wait_for(state="attached")
    # Overlapping curves (here intent and defect, judged alike): the point chosen is the one on top.
    chosen = page.locator("#chart-curve-canvas-chosen").inner_text()
    assert f"at {threshold:.2f}: precision" in chosen and "Save the rules" in chosen
    name = chosen.split(" at ")[0]
    assert page.get_by_label(name, exact=True).input_value() == f"{threshold:.2f}"


def test_the_overview_counts_every_kind_and_is_photographed(page_as, reviewed, screenshot):
    ada, dataset = reviewed
    page = page_as(ada)
    page.goto(reverse("annotations:dataset-detail", args=[dataset.name]))
    overview = page.get_by_role("table").first
    for kind in ("Intent", "Defect", "Failure point"):
        assert overview.get_by_text(kind, exact=True).count() == 1, kind
    page.screenshot(path=str(screenshot("overview.png")), full_page=False)
    assert_is_a_picture_of_the_page(page, screenshot("overview.png"), least_colours=10)
