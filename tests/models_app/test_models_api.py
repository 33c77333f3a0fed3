"""Model versions over the API, with their metrics."""

from __future__ import annotations

import pytest

from annotations.models import Dataset
from models_app.models import ModelEvaluation, ModelVersion

pytestmark = pytest.mark.django_db


def test_model_versions_come_newest_first_with_their_metrics(api, stranger):
    ModelVersion.objects.create(name="old", metrics={"intent_accuracy": 0.8})
    ModelVersion.objects.create(name="new", tasks=["intent", "slots"], metrics={"intent_accuracy": 0.95})
    api.force_authenticate(stranger)
    rows = api.get("/api/models/").json()["results"]
    assert [(row["name"], row["metrics"]["intent_accuracy"]) for row in rows] == [("new", 0.95), ("old", 0.8)]
    assert api.get("/api/models/?name=old").json()["count"] == 1


def test_a_model_version_in_detail_has_its_inventories(api, stranger):
    model = ModelVersion.objects.create(name="m", inventories={"intent": ["PlayMusic"]}, config={"layers": 2})
    api.force_authenticate(stranger)
    body = api.get(f"/api/models/{model.pk}/").json()
    assert (body["name"], body["inventories"], body["config"]) == (
        "m",
        {"intent": ["PlayMusic"]},
        {"layers": 2},
    )
    assert api.get(f"/api/models/{model.pk + 1}/").status_code == 404


def test_a_model_version_in_detail_has_its_latest_evaluation_on_each_dataset_you_belong_to(
    api, viewer, dataset
):
    model = ModelVersion.objects.create(name="m")
    ModelEvaluation.objects.create(model_version=model, dataset=dataset, metrics={"slot_f1": 0.5})
    ModelEvaluation.objects.create(
        model_version=model, dataset=dataset, dialogues=300, metrics={"slot_f1": 0.87}
    )
    hidden = Dataset.objects.create(name="not-yours")
    ModelEvaluation.objects.create(model_version=model, dataset=hidden, metrics={"slot_f1": 0.1})
    api.force_authenticate(viewer)

    (evaluation,) = api.get(f"/api/models/{model.pk}/").json()["evaluations"]

    assert (evaluation["dataset"], evaluation["dialogues"], evaluation["metrics"]) == (
        "assistant-logs",
        300,
        {"slot_f1": 0.87},
    )
    assert evaluation["learned_from"] is False
