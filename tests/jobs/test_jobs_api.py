"""Jobs over the API: start labelling, training and evaluation (validated), follow their status with
rate and ETA, cancel them, resume a labelling job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Dataset, Membership, Role
from annotations.services import IMPORT_JOB
from jobs.models import Job, JobChunk
from models_app.job_services import EVALUATE_JOB, LABEL_JOB
from models_app.models import ModelVersion

pytestmark = pytest.mark.django_db

URL = "/api/datasets/assistant-logs/"


@pytest.fixture
def model_version(db) -> ModelVersion:
    return ModelVersion.objects.create(name="demo", tasks=["intent"], metrics={"intent_accuracy": 0.9})


def test_a_reviewer_starts_labelling_and_gets_the_pending_job(api, dataset, reviewer, model_version):
    api.force_authenticate(reviewer)
    response = api.post(URL + "labelling-jobs/", {"model": "demo", "precision": "int8"}, format="json")
    assert response.status_code == 202
    job = Job.objects.get()
    assert (job.kind, job.status, job.dataset, job.created_by) == ("label", "pending", dataset, reviewer)
    assert job.params["model"] == "demo" and job.params["precision"] == "int8"
    assert response.json()["id"] == job.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"model": "ghost"}, "model"), ({"model": "demo", "precision": "fp8"}, "precision"), ({}, "model")],
)
def test_a_bad_labelling_request_is_a_400_naming_the_field(
    api, dataset, reviewer, model_version, payload, field
):
    api.force_authenticate(reviewer)
    response = api.post(URL + "labelling-jobs/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Job.objects.exists()


def test_an_admin_trains_on_datasets_they_review_this_one_first(api, dataset, dataset_admin):
    other = Dataset.objects.create(name="snips-train")
    Membership.objects.create(dataset=other, user=dataset_admin, role=Role.REVIEWER)
    api.force_authenticate(dataset_admin)
    response = api.post(
        URL + "training-jobs/",
        {"name": "my-model", "datasets": ["snips-train", "assistant-logs"], "preset": "demo", "epochs": 2},
        format="json",
    )
    assert response.status_code == 202
    job = Job.objects.get()
    assert job.dataset == dataset
    assert job.params["datasets"] == ["assistant-logs", "snips-train"]
    assert (job.params["preset"], job.params["epochs"]) == ("demo", 2)


def test_training_on_a_dataset_the_person_does_not_review_reads_as_unknown(api, dataset, dataset_admin):
    Dataset.objects.create(name="secret")
    api.force_authenticate(dataset_admin)
    for names in (["secret"], ["nowhere"]):
        response = api.post(URL + "training-jobs/", {"name": "m", "datasets": names}, format="json")
        assert response.status_code == 400
        assert response.json()["datasets"] == [f"No dataset you review is named {names[0]!r}."]
    assert not Job.objects.exists()


def test_a_model_name_already_taken_is_a_400_naming_the_name(api, dataset, dataset_admin, model_version):
    api.force_authenticate(dataset_admin)
    response = api.post(URL + "training-jobs/", {"name": "demo"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "name"


def test_a_reviewer_starts_an_evaluation(api, dataset, reviewer, model_version):
    api.force_authenticate(reviewer)
    response = api.post(URL + "evaluation-jobs/", {"model": "demo"}, format="json")
    assert response.status_code == 202
    assert Job.objects.get().kind == EVALUATE_JOB


def test_the_job_status_has_progress_rate_eta_and_chunks(api, dataset, viewer):
    started = timezone.now() - timedelta(seconds=10)
    job = Job.objects.create(
        kind=LABEL_JOB,
        status=Job.Status.RUNNING,
        dataset=dataset,
        progress_done=100,
        progress_total=300,
        started_at=started,
    )
    JobChunk.objects.create(job=job, index=0, status=JobChunk.Status.DONE)
    JobChunk.objects.create(job=job, index=1)
    api.force_authenticate(viewer)
    body = api.get(f"/api/jobs/{job.pk}/").json()
    assert (body["status"], body["progress_done"], body["progress_total"], body["percent"]) == (
        "running",
        100,
        300,
        33.3,
    )
    assert body["rate"] == pytest.approx(10, rel=0.2)
    assert body["eta_seconds"] == pytest.approx(20, rel=0.2)
    assert body["chunks"] == {"pending": 1, "done": 1, "failed": 0, "cancelled": 0}


def test_the_job_list_filters_by_status_kind_and_dataset(api, dataset, viewer):
    Job.objects.create(kind=IMPORT_JOB, dataset=dataset, status=Job.Status.SUCCEEDED)
    Job.objects.create(kind=LABEL_JOB, dataset=dataset)
    Job.objects.create(kind=LABEL_JOB, dataset=Dataset.objects.create(name="secret"))
    api.force_authenticate(viewer)
    assert api.get("/api/jobs/").json()["count"] == 2
    assert [row["kind"] for row in api.get("/api/jobs/?kind=label").json()["results"]] == ["label"]
    assert api.get("/api/jobs/?status=succeeded").json()["count"] == 1
    assert api.get("/api/jobs/?dataset=secret").json()["count"] == 0
    assert "status" in api.get("/api/jobs/?status=finished").json()


def test_cancelling_a_pending_job_ends_it_and_a_running_one_is_asked_to_stop(api, dataset, dataset_admin):
    pending = Job.objects.create(kind=LABEL_JOB, dataset=dataset)
    running = Job.objects.create(kind=LABEL_JOB, dataset=dataset, status=Job.Status.RUNNING)
    api.force_authenticate(dataset_admin)
    assert api.post(f"/api/jobs/{pending.pk}/cancel/").json()["status"] == "cancelled"
    body = api.post(f"/api/jobs/{running.pk}/cancel/").json()
    assert (body["status"], body["cancel_requested"]) == ("running", True)


def test_the_person_who_started_a_job_may_cancel_it_without_being_admin(api, dataset, reviewer):
    job = Job.objects.create(kind=LABEL_JOB, dataset=dataset, created_by=reviewer)
    api.force_authenticate(reviewer)
    assert api.post(f"/api/jobs/{job.pk}/cancel/").status_code == 200


def test_retrying_a_job_that_did_not_fail_is_a_conflict(api, dataset, dataset_admin):
    job = Job.objects.create(kind=LABEL_JOB, dataset=dataset, status=Job.Status.SUCCEEDED)
    api.force_authenticate(dataset_admin)
    response = api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 409
    assert "Only a failed or cancelled job can be retried" in response.json()["detail"]


def test_resume_is_the_same_operation_as_retry(api, dataset, dataset_admin):
    job = Job.objects.create(kind=LABEL_JOB, dataset=dataset, status=Job.Status.SUCCEEDED)
    api.force_authenticate(dataset_admin)
    assert "can be retried" in api.post(f"/api/jobs/{job.pk}/resume/").json()["detail"]


def test_retrying_a_failed_labelling_job_runs_its_unfinished_chunks(api, dataset, dataset_admin):
    job = Job.objects.create(kind=LABEL_JOB, dataset=dataset, status=Job.Status.FAILED)
    JobChunk.objects.create(job=job, index=0, status=JobChunk.Status.DONE)
    JobChunk.objects.create(job=job, index=1, status=JobChunk.Status.FAILED, error="boom")
    api.force_authenticate(dataset_admin)
    body = api.post(f"/api/jobs/{job.pk}/retry/").json()
    assert body["status"] == "running"
    assert body["chunks"] == {"pending": 1, "done": 1, "failed": 0, "cancelled": 0}
