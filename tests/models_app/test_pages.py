"""The model pages, and starting labelling, training and evaluation from the dataset pages: who may,
what they show, what the jobs they start leave behind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Dataset, Label, LabelKind, Membership, Role, Turn
from jobs.models import Job
from models_app.job_services import EVALUATE_JOB, LABEL_JOB, TRAIN_JOB
from models_app.models import ModelEvaluation, ModelVersion
from tests.review.quality_helpers import gold_calibration

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(simulated_dataset, make_user) -> dict:
    """An admin, a reviewer, a viewer of the simulated dataset, and a stranger to it."""
    people = {role: make_user(f"{role}-of-simulated") for role in ("admin", "reviewer", "viewer")}
    for role, user in people.items():
        Membership.objects.create(dataset=simulated_dataset, user=user, role=Role(role))
    people["stranger"] = make_user("stranger")
    return people


def registered(name: str, **fields) -> ModelVersion:
    return ModelVersion.objects.create(name=name, **fields)


# --- The models page ------------------------------------------------------------------------------


def test_login_is_required_for_the_model_pages(client):
    model = registered("m1")
    for url in [reverse("models_app:model-list"), reverse("models_app:model-detail", args=[model.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_models_page_lists_models_with_who_made_them_and_their_metrics(client, dataset_admin, dataset):
    job = Job.objects.create(kind=TRAIN_JOB, dataset=dataset, created_by=dataset_admin)
    registered(
        "intent-v2",
        tasks=["intent", "slots"],
        config={"datasets": ["assistant-logs", "snips"]},
        metrics={"intent_accuracy": 0.9312, "slot_f1": 0.8, "counts": {"turns": 10}},
        created_by=dataset_admin,
        created_by_job=job,
    )
    client.force_login(dataset_admin)

    html = client.get(reverse("models_app:model-list")).content.decode()

    assert "intent-v2" in html and "alice" in html and f"job #{job.pk}" in html
    assert "assistant-logs, snips" in html
    assert "93.1%" in html and "80.0%" in html
    assert "Goal boundary F1" in html  # a column for each headline metric, a dash where it is missing


def test_the_models_page_costs_a_fixed_number_of_queries(
    client, dataset_admin, dataset, django_assert_num_queries
):
    for number in range(6):
        job = Job.objects.create(kind=TRAIN_JOB, dataset=dataset, created_by=dataset_admin)
        registered(
            f"m{number}", metrics={"intent_accuracy": 0.5}, created_by=dataset_admin, created_by_job=job
        )
    client.force_login(dataset_admin)
    with django_assert_num_queries(3):  # session, user, models with their people and jobs
        client.get(reverse("models_app:model-list"))


def test_the_model_page_shows_all_metrics_and_its_inventories(client, viewer):
    model = registered(
        "m1",
        metrics={"intent_accuracy": 0.5, "counts": {"turns": 12}},
        inventories={"intents": ["PlayMusic", "GetWeather"], "slot_types": ["artist"]},
    )
    client.force_login(viewer)

    html = client.get(reverse("models_app:model-detail", args=[model.pk])).content.decode()

    assert "<pre" in html and "&quot;turns&quot;: 12" in html
    assert "<details" in html and "PlayMusic" in html and "GetWeather" in html
    assert "Slot types" in html


def _history(steps: int, total: int, seconds: float, cut: bool, cpu: str, precision: str = "fp32") -> dict:
    return {
        "history": {
            "steps": steps,
            "total_steps": total,
            "seconds": seconds,
            "stopped_at_max_seconds": cut,
            "precision": precision,
            "cpu": cpu,
        },
        "train": {"max_seconds": 1200.0, "precision": "auto"},
    }


def test_the_model_page_says_how_training_went_and_when_its_cap_cut_it_short(client, viewer):
    whole = registered("whole", config=_history(2070, 2070, 994.0, False, "AMD EPYC 9R14", "bf16"))
    cut = registered("cut", config=_history(53, 2070, 1200.0, True, "AMD EPYC 7R13"))
    client.force_login(viewer)

    whole_page = client.get(reverse("models_app:model-detail", args=[whole.pk])).content.decode()
    cut_page = client.get(reverse("models_app:model-detail", args=[cut.pk])).content.decode()

    assert "2,070 of 2,070 steps in 16.6 min, bf16 on AMD EPYC 9R14" in whole_page
    assert "cut short" not in whole_page
    assert "Cut short by its 20-minute cap: 53 of 2,070 steps in 20.0 min, fp32 on AMD EPYC 7R13" in cut_page
    assert "(3% of the planned training)" in cut_page


def test_the_training_form_says_what_each_preset_costs_on_this_cpu(client, cast, simulated_dataset):
    from models_app.ml.hardware import cpu_info

    cpu = cpu_info()
    best = cpu.best_precision
    registered("measured-here", config=_history(100, 100, 50.0, False, cpu.model, best))
    client.force_login(cast["admin"])

    html = client.get(reverse("models_app:dataset-train", args=[simulated_dataset.name])).content.decode()

    assert "What each preset costs on this CPU" in html and cpu.model in html
    # This machine's own last training (0.50 s a step) prices the presets that train in its precision.
    assert (
        f"2 epochs in {best}, about 0.50 s per step of 32 turns (this machine&#x27;s last training)" in html
    )
    assert "the demo&#x27;s 8,000 dialogues take about 12 min; stops at 22 min whatever it reached" in html
    assert "Demo, quick (time-boxed first model)" in html


def test_the_model_page_shows_its_held_out_evaluations_beside_the_full_recipes_figures(
    client, cast, simulated_dataset
):
    model = registered("m1")
    other = Dataset.objects.create(name="someone-elses")
    ModelEvaluation.objects.create(
        model_version=model,
        dataset=simulated_dataset,
        dialogues=24,
        metrics={"intent_accuracy": 0.25, "slot_f1": 0.5},
    )
    newest = ModelEvaluation.objects.create(
        model_version=model,
        dataset=simulated_dataset,
        dialogues=24,
        metrics={"intent_accuracy": 0.9412, "slot_f1": 0.8731, "failure_point_accuracy": 0.8866},
    )
    ModelEvaluation.objects.create(
        model_version=model, dataset=other, dialogues=5, metrics={"intent_accuracy": 0.1111}
    )
    client.force_login(cast["viewer"])

    html = client.get(reverse("models_app:model-detail", args=[model.pk])).content.decode()

    assert "Held-out evaluations" in html
    assert "94.1%" in html and "87.3%" in html and "88.7%" in html  # the newest on the dataset
    assert "25.0%" not in html
    assert "someone-elses" not in html and "11.1%" not in html  # a dataset the viewer is not in
    assert "Full recipe (dialogues), simulated" in html and "97.8%" in html
    assert f"{newest.dialogues} dialogues" in html


def test_the_model_page_shows_each_figure_beside_its_baseline_and_each_labels_calibration(
    client, cast, simulated_dataset
):
    model = registered("m1")
    ModelEvaluation.objects.create(
        model_version=model,
        dataset=simulated_dataset,
        dialogues=24,
        metrics={
            "goal_success_accuracy": 0.636,
            "defect_f1": 0.41,
            "baselines": {
                "goal_success_accuracy": {"always_success": 0.969},
                "defect_f1": {"always_defect": 0.077},
            },
            "calibration": gold_calibration(),
        },
    )
    client.force_login(cast["viewer"])

    html = client.get(reverse("models_app:model-detail", args=[model.pk])).content.decode()

    assert "Goal success accuracy" in html and "States a preference F1" in html
    assert "63.6%" in html and "always success 96.9%" in html and "always defect 7.7%" in html
    assert html.count(">under baseline<") == 1  # goal success, not the defect F1 above its baseline
    assert 'data-source="simulated"' in html
    assert "Calibration: can each label's confidence be trusted?" in html
    assert 'data-verdict="calibrated"' in html and 'data-verdict="overconfident"' in html
    assert "ECE 0.030" in html and "400 predictions" in html
    assert "do not auto-accept on its confidence" in html


def test_an_evaluation_the_model_recorded_shows_its_baselines_and_calibration_on_its_page(
    client, cast, simulated_dataset, model
):
    from models_app.services import model_evaluate

    metrics = model_evaluate(dataset=simulated_dataset, model_version=model)
    client.force_login(cast["viewer"])

    html = client.get(reverse("models_app:model-detail", args=[model.pk])).content.decode()

    defect = metrics["calibration"]["defect"]
    assert f"ECE {defect['ece']:.3f}" in html and f"{defect['predictions']:,} predictions" in html
    baseline = metrics["baselines"]["defect_f1"]["always_defect"]
    assert f"always defect {100 * baseline:.1f}%" in html


def test_the_model_page_costs_a_fixed_number_of_queries_however_many_evaluations(
    client, cast, simulated_dataset, django_assert_num_queries
):
    model = registered("m1")
    metrics = {"intent_accuracy": 0.5, "calibration": gold_calibration()}
    ModelEvaluation.objects.create(model_version=model, dataset=simulated_dataset, metrics=metrics)
    client.force_login(cast["reviewer"])
    url = reverse("models_app:model-detail", args=[model.pk])
    # Session, user, the model, the evaluations with their datasets and sources, and the datasets to
    # evaluate on (asked whether there are any, then listed by the form's choices).
    with django_assert_num_queries(7):
        client.get(url)
    for number in range(4):
        dataset = Dataset.objects.create(name=f"log-{number}")
        Membership.objects.create(dataset=dataset, user=cast["reviewer"], role=Role.REVIEWER)
        ModelEvaluation.objects.create(model_version=model, dataset=dataset, metrics=metrics)
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert html.count('data-verdict="overconfident"') == 5


def test_a_model_never_evaluated_says_so(client, viewer):
    model = registered("m1")
    client.force_login(viewer)
    html = client.get(reverse("models_app:model-detail", args=[model.pk])).content.decode()
    assert "No evaluation of this model yet." in html


def test_a_missing_model_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("models_app:model-detail", args=[999])).status_code == 404


def test_evaluation_can_be_started_on_a_dataset_the_person_reviews(client, cast, simulated_dataset, model):
    client.force_login(cast["reviewer"])
    url = reverse("models_app:model-detail", args=[model.pk])

    response = client.post(url, {"dataset": simulated_dataset.pk})

    job = Job.objects.get(kind=EVALUATE_JOB)
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job-detail", args=[job.pk])
    assert (job.dataset, job.params["model"], job.created_by) == (simulated_dataset, "tiny", cast["reviewer"])


def test_a_viewer_cannot_evaluate_on_a_dataset_they_only_view(client, cast, simulated_dataset):
    model = registered("m1")
    client.force_login(cast["viewer"])
    response = client.post(
        reverse("models_app:model-detail", args=[model.pk]), {"dataset": simulated_dataset.pk}
    )
    assert response.status_code == 400
    assert "dataset" in response.context["form"].errors
    assert not Job.objects.exists()


# --- Labelling from the dataset page --------------------------------------------------------------


def test_the_dataset_page_links_reviewers_to_labelling_and_admins_to_training_too(
    client, cast, simulated_dataset
):
    detail = reverse("annotations:dataset-detail", args=[simulated_dataset.name])
    label = reverse("models_app:dataset-label", args=[simulated_dataset.name])
    train = reverse("models_app:dataset-train", args=[simulated_dataset.name])
    expected = {"admin": (True, True), "reviewer": (True, False), "viewer": (False, False)}
    for role, (sees_label, sees_train) in expected.items():
        client.force_login(cast[role])
        html = client.get(detail).content.decode()
        assert (label in html, train in html) == (sees_label, sees_train), role


def test_labelling_from_the_dataset_page_runs_a_job_that_writes_labels(
    client, cast, simulated_dataset, model, django_capture_on_commit_callbacks
):
    client.force_login(cast["reviewer"])
    url = reverse("models_app:dataset-label", args=[simulated_dataset.name])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"model_version": model.pk, "precision": "fp32"})

    job = Job.objects.get(kind=LABEL_JOB)
    assert response["Location"] == reverse("jobs:job-detail", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED, job.error
    turns = Turn.objects.filter(dialogue__dataset=simulated_dataset).count()
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == turns


def test_a_viewer_cannot_start_labelling(client, cast, simulated_dataset, model):
    client.force_login(cast["viewer"])
    url = reverse("models_app:dataset-label", args=[simulated_dataset.name])
    assert client.get(url).status_code == 403
    assert client.post(url, {"model_version": model.pk, "precision": "fp32"}).status_code == 403
    assert not Job.objects.exists()


def test_a_stranger_gets_404_for_labelling_and_training(client, cast, simulated_dataset):
    client.force_login(cast["stranger"])
    for name in ("models_app:dataset-label", "models_app:dataset-train"):
        assert client.get(reverse(name, args=[simulated_dataset.name])).status_code == 404, name


def test_labelling_refuses_an_unknown_precision(client, cast, simulated_dataset):
    model = registered("m1")
    client.force_login(cast["admin"])
    url = reverse("models_app:dataset-label", args=[simulated_dataset.name])
    response = client.post(url, {"model_version": model.pk, "precision": "fp8"})
    assert response.status_code == 400
    assert "precision" in response.context["form"].errors
    assert not Job.objects.exists()


# --- Training from the dataset page ---------------------------------------------------------------


def test_training_is_for_admins_only(client, cast, simulated_dataset):
    url = reverse("models_app:dataset-train", args=[simulated_dataset.name])
    for role in ("reviewer", "viewer"):
        client.force_login(cast[role])
        assert client.get(url).status_code == 403, role
        assert client.post(url, {"name": "x", "datasets": [simulated_dataset.pk]}).status_code == 403, role
    assert not Job.objects.exists()


def test_the_training_form_offers_the_datasets_the_person_reviews_with_this_one_chosen(
    client, cast, simulated_dataset
):
    reviewed = Dataset.objects.create(name="reviewed-elsewhere")
    Membership.objects.create(dataset=reviewed, user=cast["admin"], role=Role.REVIEWER)
    viewed = Dataset.objects.create(name="only-viewed")
    Membership.objects.create(dataset=viewed, user=cast["admin"], role=Role.VIEWER)
    Dataset.objects.create(name="not-mine")
    client.force_login(cast["admin"])

    form = client.get(reverse("models_app:dataset-train", args=[simulated_dataset.name])).context["form"]

    assert [d.name for d in form.fields["datasets"].queryset] == ["reviewed-elsewhere", "simulated"]
    assert form["datasets"].value() == [simulated_dataset.pk]


def test_training_from_the_dataset_page_registers_a_model(
    client, cast, simulated_dataset, settings, tmp_path, tiny_encoder, django_capture_on_commit_callbacks
):
    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"
    settings.SELFLEARN_ENCODER = tiny_encoder
    client.force_login(cast["admin"])
    url = reverse("models_app:dataset-train", args=[simulated_dataset.name])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"name": "from-the-page", "datasets": [simulated_dataset.pk], "preset": "demo", "epochs": 1}
        )

    job = Job.objects.get(kind=TRAIN_JOB)
    assert response["Location"] == reverse("jobs:job-detail", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED, job.error
    model = ModelVersion.objects.get(name="from-the-page")
    assert (model.created_by, model.created_by_job, model.config["datasets"]) == (
        cast["admin"],
        job,
        ["simulated"],
    )


def test_training_under_a_taken_name_shows_the_error_on_the_name(client, cast, simulated_dataset):
    registered("taken")
    client.force_login(cast["admin"])
    url = reverse("models_app:dataset-train", args=[simulated_dataset.name])
    response = client.post(url, {"name": "taken", "datasets": [simulated_dataset.pk], "preset": "default"})
    assert response.status_code == 400
    assert "already exists" in str(response.context["form"].errors["name"])
    assert not Job.objects.exists()


def test_training_cannot_use_a_dataset_the_person_does_not_review(client, cast, simulated_dataset):
    other = Dataset.objects.create(name="not-mine")
    client.force_login(cast["admin"])
    url = reverse("models_app:dataset-train", args=[simulated_dataset.name])
    response = client.post(url, {"name": "x", "datasets": [simulated_dataset.pk, other.pk], "preset": "demo"})
    assert response.status_code == 400
    assert "datasets" in response.context["form"].errors
    assert not Job.objects.exists()
