"""Reads of the model's held-out evaluations (ModelEvaluation, written by ``models_app.services.
model_evaluate``): the model page's table, each figure beside its trivial baseline and each dataset
marked real or simulated; the calibration of each label's confidences; the Quality page's evaluations
of a dataset. Each in one query; the rest is read from the metrics JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.fields.json import KT

from annotations.models import Dataset, Dialogue, Membership
from models_app.ml.format_adapter import number_or_none
from models_app.models import ModelEvaluation, ModelVersion
from models_app.recipes.defaults import RECIPE_REFERENCE_FIGURES
from models_app.selectors.versions import metric

# The held-out metrics the model page compares, in this order.
EVALUATION_METRICS = (
    ("intent_accuracy", "Intent accuracy"),
    ("slot_f1", "Slot F1"),
    ("failure_point_accuracy", "Failure point accuracy"),
    ("failure_point_macro_f1", "Failure point macro F1"),
    ("rephrase_f1", "Rephrase F1"),
    ("defect_f1", "Defect F1"),
    ("goal_boundary_f1", "Goal boundary F1"),
    ("goal_success_accuracy", "Goal success accuracy"),
    ("preference_statement_f1", "States a preference F1"),
)


@dataclass(frozen=True)
class MetricValue:
    """One figure of an evaluation beside its trivial baseline: what a labeller that always says the
    same thing scores on the same gold (``metrics["baselines"]``, from models_app.ml.baselines), where
    the evaluation recorded one."""

    value: float | None
    baseline: str = ""  # the baseline as the evaluation names it: "always_success"
    baseline_value: float | None = None

    @property
    def baseline_name(self) -> str:
        return self.baseline.replace("_", " ")

    @property
    def under_baseline(self) -> bool:
        """The figure is no better than its baseline: the model learnt nothing here that a reviewer
        could use, so the figure is a failure to fix, not a result to quote."""
        if self.value is None or self.baseline_value is None:
            return False
        return self.value <= self.baseline_value


def _metric_values(metrics: Any) -> list[MetricValue]:
    baselines = metrics.get("baselines") if isinstance(metrics, dict) else None
    values = []
    for key, _label in EVALUATION_METRICS:
        found = baselines.get(key) if isinstance(baselines, dict) else None
        # {baseline's name: its score}: one baseline per metric.
        name, score = next(iter(found.items())) if isinstance(found, dict) and found else ("", None)
        values.append(MetricValue(metric(metrics, key), str(name), number_or_none(score)))
    return values


# What the simulator writes in each dialogue's ``metadata.source`` (simulator/dialogues.py).
SIMULATOR_SOURCE = "selflearn-simulator"


@dataclass(frozen=True)
class DataSource:
    """Where an evaluated dataset's dialogues came from, as its first dialogue's metadata says: a
    corpus of real people's dialogues (``metadata.corpus``, which the corpus converters of
    models_app.recipes write: "redial", "sgd", ...), the simulator (``metadata.source``), or neither
    (logs imported as they came: the page then shows the dataset's name alone)."""

    corpus: str = ""
    simulated: bool = False

    @classmethod
    def of(cls, corpus: Any, source: Any) -> DataSource:
        if isinstance(corpus, str) and corpus:
            return cls(corpus=corpus)
        return cls(simulated=source == SIMULATOR_SOURCE)

    @property
    def real(self) -> bool:
        return bool(self.corpus)


# ---------------------------------------------------------------------------------------------------
# The calibration of each label's confidences (models_app.ml.metrics.reliability)
# ---------------------------------------------------------------------------------------------------

# The labels whose confidences an evaluation measures, in the order the pages list them, as people
# read them.
CALIBRATION_LABELS = {
    "intent": "Intent",
    "failure_point": "Failure point",
    "defect": "Defect",
    "rephrase": "Rephrase",
    "goal_success": "Goal success",
    "preference_statement": "States a preference",
}
# A label whose expected calibration error is at most this is called calibrated: a threshold on its
# confidence buys about the precision it names (within 5 points on average).
CALIBRATED_ECE = 0.05
# Over this, it is miscalibrated: auto-accept must not trust its confidence.
MISCALIBRATED_ECE = 0.10
# Under this many predictions the error says little. A perfectly calibrated label whose confidences
# spread evenly over 0.5-1 scores an ECE over 0.12 in 1 draw of 20 at 100 predictions (its 95th
# percentile), 0.086 at 200: from 200 on, an error over MISCALIBRATED_ECE is the model's, not chance's
# (simulated with models_app.ml.metrics.reliability, 200 draws each).
FEW_PREDICTIONS = 200


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of confidence of the reliability diagram."""

    confidence: float  # the mean confidence of its predictions
    right: float  # the share of them that were right
    predictions: int


@dataclass(frozen=True)
class LabelCalibration:
    """How far one label's confidences can be trusted on one evaluation's gold: the expected
    calibration error (the gap between confidence and the share right, averaged over the predictions
    by bin), the Brier score (the mean squared gap between confidence and outcome: lower is better)
    and the reliability diagram's bins."""

    label: str
    ece: float
    brier: float
    predictions: int
    bins: tuple[ReliabilityBin, ...] = ()

    @property
    def name(self) -> str:
        return CALIBRATION_LABELS.get(self.label) or self.label.replace("_", " ").capitalize()

    @property
    def overconfidence(self) -> float:
        """The mean of confidence less the share right over the predictions: above 0 the label
        promises more than it delivers, under 0 less."""
        total = sum(b.predictions for b in self.bins)
        if not total:
            return 0.0
        return sum(b.predictions * (b.confidence - b.right) for b in self.bins) / total

    @property
    def verdict(self) -> str:
        """At a glance: "few", "calibrated", "rough", "overconfident", "underconfident" or
        "miscalibrated" (over- and underconfident by turns)."""
        if self.predictions < FEW_PREDICTIONS:
            return "few"
        if self.ece <= CALIBRATED_ECE:
            return "calibrated"
        if self.ece <= MISCALIBRATED_ECE:
            return "rough"
        if abs(self.overconfidence) < self.ece / 2:
            return "miscalibrated"
        return "overconfident" if self.overconfidence > 0 else "underconfident"

    @property
    def advice(self) -> str:
        """What the verdict means for auto-accept, in a sentence."""
        points = f"{abs(self.overconfidence) * 100:.0f} points"
        return {
            "few": f"Only {self.predictions:,} predictions: too few to judge its calibration.",
            "calibrated": "Calibrated: a threshold on its confidence buys about the precision it names.",
            "rough": "Roughly calibrated: check the precision-coverage curve of reviewed proposals "
            "before auto-accepting.",
            "overconfident": f"Overconfident by {points}: do not auto-accept on its confidence.",
            "underconfident": f"Underconfident by {points}: a threshold keeps more precision than it "
            "names but accepts fewer proposals than it could.",
            "miscalibrated": "Over- and underconfident by turns: do not auto-accept on its confidence.",
        }[self.verdict]


def _label_order(label: str) -> tuple[int, str]:
    """The labels of CALIBRATION_LABELS in its order, then any other by name."""
    order = list(CALIBRATION_LABELS)
    return (order.index(label) if label in order else len(order), label)


def _bins(raw: Any) -> tuple[ReliabilityBin, ...]:
    bins = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, list) and len(item) == 3:
            confidence, right, count = (number_or_none(value) for value in item)
            if confidence is not None and right is not None and count:
                bins.append(ReliabilityBin(confidence, right, int(count)))
    return tuple(bins)


def evaluation_calibration(metrics: Any) -> list[LabelCalibration]:
    """Each label's calibration from an evaluation's metrics JSON (``metrics["calibration"]``), in the
    order of CALIBRATION_LABELS then by name; none for an evaluation recorded before calibration was
    measured. An entry that does not read as numbers is left out."""
    raw = metrics.get("calibration") if isinstance(metrics, dict) else None
    if not isinstance(raw, dict):
        return []
    labels = []
    for label in sorted(raw, key=_label_order):
        entry = raw[label]
        if not isinstance(entry, dict):
            continue
        ece, brier = number_or_none(entry.get("ece")), number_or_none(entry.get("brier"))
        if ece is None or brier is None:
            continue
        bins = _bins(entry.get("bins"))
        predictions = number_or_none(entry.get("predictions"))
        labels.append(
            LabelCalibration(
                label=str(label),
                ece=ece,
                brier=brier,
                predictions=int(predictions) if predictions is not None else sum(b.predictions for b in bins),
                bins=bins,
            )
        )
    return labels


# ---------------------------------------------------------------------------------------------------
# The model page's held-out table and the Quality page's evaluations
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationRow:
    """One row of the model page's held-out table: a measured evaluation or the recipe's reference."""

    title: str
    detail: str
    values: list[MetricValue]
    learned_from: bool = False
    reference: bool = False
    source: DataSource = DataSource()
    calibration: list[LabelCalibration] = field(default_factory=list)


def model_evaluations_latest(
    user: User | AnonymousUser, model_version: ModelVersion
) -> list[ModelEvaluation]:
    """The model's latest evaluation on each dataset the person belongs to, by dataset name (one query),
    each with its dataset's ``data_corpus`` and ``data_source``: what its first dialogue's metadata
    says it came from (DataSource)."""
    if not user.is_authenticated:
        return []
    first_dialogue = Dialogue.objects.filter(dataset=OuterRef("dataset")).order_by("id")
    evaluations = (
        ModelEvaluation.objects.filter(model_version=model_version)
        .select_related("dataset")
        .annotate(
            data_corpus=Subquery(first_dialogue.values(corpus=KT("metadata__corpus"))[:1]),
            data_source=Subquery(first_dialogue.values(source=KT("metadata__source"))[:1]),
        )
    )
    if not user.is_superuser:
        evaluations = evaluations.filter(
            Exists(Membership.objects.filter(dataset=OuterRef("dataset"), user=user.pk))
        )
    latest: dict[int, ModelEvaluation] = {}
    for evaluation in evaluations.order_by("dataset__name", "-created_at", "-id"):
        latest.setdefault(evaluation.dataset_id, evaluation)
    return list(latest.values())


def dataset_evaluations_latest(dataset: Dataset, *, limit: int = 200) -> list[ModelEvaluation]:
    """The latest evaluation of each model version on the dataset's gold, newest first, whoever
    recorded it (an evaluation job, the command, a recipe, the demo): what the Quality page compares.
    One query over the newest ``limit`` evaluations."""
    latest: dict[int, ModelEvaluation] = {}
    evaluations = ModelEvaluation.objects.filter(dataset=dataset).select_related("model_version")
    for evaluation in evaluations.order_by("-created_at", "-id")[:limit]:
        latest.setdefault(evaluation.model_version_id, evaluation)
    return list(latest.values())


def model_evaluation_rows(user: User | AnonymousUser, model_version: ModelVersion) -> list[EvaluationRow]:
    """The rows of the model page's held-out table: its latest evaluations the person may see, each
    figure beside its trivial baseline and each label's calibration, then the full recipe's published
    figures to compare with. One query."""
    rows = [
        EvaluationRow(
            title=evaluation.dataset.name,
            detail=f"{evaluation.dialogues:,} dialogues, {evaluation.precision}",
            values=_metric_values(evaluation.metrics),
            learned_from=evaluation.learned_from,
            source=DataSource.of(
                getattr(evaluation, "data_corpus", None), getattr(evaluation, "data_source", None)
            ),
            calibration=evaluation_calibration(evaluation.metrics),
        )
        for evaluation in model_evaluations_latest(user, model_version)
    ]
    for reference in RECIPE_REFERENCE_FIGURES:
        rows.append(
            EvaluationRow(
                title=reference["title"],
                detail=reference["detail"],
                values=_metric_values(reference["metrics"]),
                reference=True,
            )
        )
    return rows


@dataclass(frozen=True)
class CalibrationTable:
    """The model page's calibration table: a column per label that any evaluation measured, a row per
    evaluation that measured one (None where it did not measure that label)."""

    columns: list[str]  # the labels' names
    rows: list[tuple[EvaluationRow, list[LabelCalibration | None]]]


def calibration_table(rows: list[EvaluationRow]) -> CalibrationTable:
    """The calibration of each label on each of these evaluations (no query)."""
    measured = [row for row in rows if row.calibration]
    labels: dict[str, str] = {}
    for row in measured:
        labels.update((calibration.label, calibration.name) for calibration in row.calibration)
    keys = sorted(labels, key=_label_order)
    return CalibrationTable(
        columns=[labels[key] for key in keys],
        rows=[
            (row, [next((c for c in row.calibration if c.label == key), None) for key in keys])
            for row in measured
        ],
    )
