"""The reads of a model's evaluations: each figure beside its trivial baseline, each evaluated dataset
marked real (with its corpus) or simulated, and how far each label's confidence can be trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.formats.importing import ImportOptions, ImportSource
from annotations.models import Dataset, Dialogue, Membership, Role
from annotations.services import dataset_get_or_create, dataset_import_file
from models_app.ml.metrics import reliability
from models_app.models import ModelEvaluation, ModelVersion
from models_app.recipes.judged import judged_dialogues
from models_app.selectors import (
    CALIBRATED_ECE,
    EVALUATION_METRICS,
    FEW_PREDICTIONS,
    MISCALIBRATED_ECE,
    calibration_table,
    evaluation_calibration,
    model_evaluation_rows,
)
from tests.models_app.test_judged_corpora import REDIAL
from tests.review.quality_helpers import gold_calibration

pytestmark = pytest.mark.django_db

# Goal success and defect F1 as the model scored them on real dialogues people rated, beside what
# always saying "success" and always saying "defect" score there.
REAL_METRICS = {
    "intent_accuracy": 0.93,
    "goal_success_accuracy": 0.636,
    "defect_f1": 0.41,
    "baselines": {
        "goal_success_accuracy": {"always_success": 0.969},
        "defect_f1": {"always_defect": 0.077},
    },
}


def _row(user, model, dataset, metrics):
    ModelEvaluation.objects.create(model_version=model, dataset=dataset, dialogues=3, metrics=metrics)
    return next(row for row in model_evaluation_rows(user, model) if row.title == dataset.name)


def _values(row) -> dict:
    return {key: value for (key, _label), value in zip(EVALUATION_METRICS, row.values, strict=True)}


def test_each_figure_stands_beside_its_trivial_baseline_and_one_under_it_is_marked(viewer, dataset):
    row = _row(viewer, ModelVersion.objects.create(name="m1"), dataset, REAL_METRICS)
    values = _values(row)

    success, defect, intent = values["goal_success_accuracy"], values["defect_f1"], values["intent_accuracy"]
    assert (success.value, success.baseline_name, success.baseline_value) == (0.636, "always success", 0.969)
    assert success.under_baseline
    assert (defect.baseline_name, defect.baseline_value) == ("always defect", 0.077)
    assert not defect.under_baseline
    # Intent accuracy has no trivial baseline: nothing beside it, nothing marked.
    assert intent.value == 0.93 and intent.baseline_value is None and not intent.under_baseline


def test_a_figure_equal_to_its_baseline_is_no_better_than_it(viewer, dataset):
    metrics = {"failure_point_accuracy": 0.8, "baselines": {"failure_point_accuracy": {"always_none": 0.8}}}
    row = _row(viewer, ModelVersion.objects.create(name="m1"), dataset, metrics)
    assert _values(row)["failure_point_accuracy"].under_baseline


def test_an_evaluation_recorded_before_baselines_and_calibration_shows_its_figures_alone(viewer, dataset):
    row = _row(viewer, ModelVersion.objects.create(name="m1"), dataset, {"intent_accuracy": 0.5})
    assert all(value.baseline_value is None for value in row.values)
    assert row.calibration == []


def test_each_labels_calibration_comes_from_the_evaluation_in_a_fixed_order():
    recorded = gold_calibration()
    labels = evaluation_calibration(
        {"calibration": {"defect": recorded["defect"], "intent": recorded["intent"]}}
    )

    intent, defect = labels
    assert (intent.label, intent.name, defect.label) == ("intent", "Intent", "defect")
    assert intent.ece == pytest.approx(recorded["intent"]["ece"])
    assert intent.brier == pytest.approx(recorded["intent"]["brier"])
    assert intent.predictions == 400 and sum(b.predictions for b in intent.bins) == 400
    assert [(b.confidence, b.right, b.predictions) for b in intent.bins] == [
        tuple(b) for b in recorded["intent"]["bins"]
    ]


def test_a_calibrated_label_may_be_auto_accepted_and_an_overconfident_one_may_not():
    intent, defect = evaluation_calibration({"calibration": gold_calibration()})

    assert intent.ece <= CALIBRATED_ECE and intent.verdict == "calibrated"
    assert "buys about the precision it names" in intent.advice
    assert defect.ece > MISCALIBRATED_ECE and defect.verdict == "overconfident"
    # Right 30 points less often than its confidence says.
    assert defect.overconfidence == pytest.approx(0.3, abs=0.05)
    assert defect.advice.startswith("Overconfident by 2") and "do not auto-accept" in defect.advice


def test_an_underconfident_label_says_so_and_too_few_predictions_tell_nothing():
    confidence = [0.5 + 0.4 * number / 499 for number in range(500)]
    # Right 30 points more often than it says (at most always).
    right = [(number % 100) < min(100, round(100 * (c + 0.3))) for number, c in enumerate(confidence)]
    (shy,) = evaluation_calibration({"calibration": {"rephrase": reliability(right, confidence)}})
    (few,) = evaluation_calibration(
        {
            "calibration": {
                "rephrase": reliability(right[: FEW_PREDICTIONS - 1], confidence[: FEW_PREDICTIONS - 1])
            }
        }
    )

    assert shy.verdict == "underconfident" and "keeps more precision than it names" in shy.advice
    assert few.verdict == "few" and f"Only {FEW_PREDICTIONS - 1} predictions" in few.advice


def test_a_calibration_entry_that_does_not_read_as_numbers_is_left_out():
    recorded = gold_calibration()
    labels = evaluation_calibration(
        {
            "calibration": {
                "intent": recorded["intent"],
                "defect": {"ece": "low", "brier": 0.1, "bins": []},
                "rephrase": "calibrated",
                "goal_success": {"ece": 0.02, "brier": 0.05, "bins": [[0.9, "most", 10], [0.95, 0.96, 90]]},
            }
        }
    )
    assert [(label.label, label.predictions) for label in labels] == [("intent", 400), ("goal_success", 90)]
    assert evaluation_calibration({"calibration": ["intent"]}) == []
    assert evaluation_calibration(None) == []


def _import_dialogues(name: str, dialogues: list[dict], tmp_path: Path) -> Dataset:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(dialogue) + "\n" for dialogue in dialogues), encoding="utf-8")
    dataset = dataset_get_or_create(name=name)
    dataset_import_file(name=name, source=ImportSource.from_path(path), options=ImportOptions())
    return dataset


def test_each_evaluated_dataset_is_marked_real_with_its_corpus_or_simulated(
    simulated_dataset, make_user, tmp_path
):
    (tmp_path / "uss_redial").mkdir()
    (tmp_path / "uss_redial" / "ReDial.txt").write_text(REDIAL, encoding="utf-8")
    rated = [d for split in ("train", "valid", "test") for d in judged_dialogues("redial", tmp_path, split)]
    real = _import_dialogues("rated-movie-chats", rated, tmp_path)
    plain = Dataset.objects.create(name="kitchen-logs")
    Dialogue.objects.create(dataset=plain, external_id="d1", metadata={"room": "kitchen"})
    person = make_user("ada")
    model = ModelVersion.objects.create(name="m1")
    for dataset in (real, simulated_dataset, plain):
        Membership.objects.create(dataset=dataset, user=person, role=Role.VIEWER)
        ModelEvaluation.objects.create(model_version=model, dataset=dataset, dialogues=2)

    sources = {row.title: row.source for row in model_evaluation_rows(person, model) if not row.reference}

    assert sources["rated-movie-chats"].real and sources["rated-movie-chats"].corpus == "redial"
    assert sources[simulated_dataset.name].simulated and not sources[simulated_dataset.name].real
    # Logs that say neither are shown by name alone.
    assert not sources["kitchen-logs"].real and not sources["kitchen-logs"].simulated


def test_the_calibration_table_has_a_column_per_label_any_evaluation_measured(viewer, dataset, make_user):
    model = ModelVersion.objects.create(name="m1")
    other = Dataset.objects.create(name="another-log")
    Membership.objects.create(dataset=other, user=viewer, role=Role.VIEWER)
    recorded = gold_calibration()
    ModelEvaluation.objects.create(
        model_version=model, dataset=dataset, metrics={"calibration": {"defect": recorded["defect"]}}
    )
    ModelEvaluation.objects.create(
        model_version=model, dataset=other, metrics={"calibration": {"intent": recorded["intent"]}}
    )
    Membership.objects.create(
        dataset=Dataset.objects.create(name="uncalibrated"), user=viewer, role=Role.VIEWER
    )
    ModelEvaluation.objects.create(
        model_version=model, dataset=Dataset.objects.get(name="uncalibrated"), metrics={"intent_accuracy": 1}
    )

    table = calibration_table(model_evaluation_rows(viewer, model))

    assert table.columns == ["Intent", "Defect"]
    cells = {row.title: [cell.label if cell else None for cell in cells] for row, cells in table.rows}
    assert cells == {"another-log": ["intent", None], "assistant-logs": [None, "defect"]}
