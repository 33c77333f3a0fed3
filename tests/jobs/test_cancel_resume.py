"""Cancelling and retrying jobs from the job page, who may, and the rate, time left and chunk counts
the page polls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Label, LabelKind, Membership, Role, Turn
from annotations.services import IMPORT_JOB
from jobs.models import Job, JobChunk
from jobs.services import job_chunk_failed, job_chunk_run, job_plan
from models_app import job_services
from models_app.job_services import LABEL_JOB

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_job(dataset, reviewer) -> Job:
    return Job.objects.create(kind=LABEL_JOB, dataset=dataset, created_by=reviewer, params={"model": "m"})


@pytest.fixture
def failed_labelling_job(simulated_dataset, model, make_user) -> Job:
    """A labelling job of the simulated dataset whose first chunk failed and the others finished."""
    owner = make_user("owner")
    Membership.objects.create(dataset=simulated_dataset, user=owner, role=Role.REVIEWER)
    job = Job.objects.create(
        kind=LABEL_JOB,
        dataset=simulated_dataset,
        created_by=owner,
        params={
            "model": model.name,
            "model_version_id": model.pk,
            "precision": "fp32",
            "chunk_dialogues": 6,
            "dialogue_ids": None,
        },
    )
    job_plan(job=job)
    job_chunk_failed(job=job, index=0, error=RuntimeError("the worker fell over"))
    for index in range(1, 4):
        job_chunk_run(job=job, index=index)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    return job


def cancel(client, job: Job):
    return client.post(reverse("jobs:job-cancel", args=[job.pk]))


def retry(client, job: Job):
    return client.post(reverse("jobs:job-retry", args=[job.pk]))


# --- Cancel ---------------------------------------------------------------------------------------


def test_cancelling_a_pending_job_cancels_it_at_once(client, reviewer, pending_job):
    client.force_login(reviewer)
    response = cancel(client, pending_job)
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job-detail", args=[pending_job.pk])
    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.CANCELLED


def test_cancelling_a_running_job_asks_it_to_stop(client, dataset_admin, pending_job):
    Job.objects.filter(pk=pending_job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    client.force_login(dataset_admin)  # not its creator, but an admin of its dataset
    cancel(client, pending_job)
    pending_job.refresh_from_db()
    assert (pending_job.status, pending_job.cancel_requested) == (Job.Status.RUNNING, True)


def test_a_stranger_cannot_cancel_a_job(client, stranger, pending_job):
    client.force_login(stranger)
    assert cancel(client, pending_job).status_code == 404
    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.PENDING


def test_a_viewer_who_did_not_start_the_job_cannot_cancel_it(client, viewer, pending_job):
    client.force_login(viewer)
    assert cancel(client, pending_job).status_code == 403
    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.PENDING


def test_cancel_takes_only_a_post(client, reviewer, pending_job):
    client.force_login(reviewer)
    assert client.get(reverse("jobs:job-cancel", args=[pending_job.pk])).status_code == 405


def test_the_job_page_shows_cancel_only_to_those_who_may_cancel(client, reviewer, viewer, pending_job):
    button_url = reverse("jobs:job-cancel", args=[pending_job.pk])
    client.force_login(reviewer)
    assert button_url in client.get(reverse("jobs:job-detail", args=[pending_job.pk])).content.decode()
    client.force_login(viewer)
    assert button_url not in client.get(reverse("jobs:job-detail", args=[pending_job.pk])).content.decode()


def test_a_finished_job_offers_no_cancel(client, reviewer, pending_job):
    Job.objects.filter(pk=pending_job.pk).update(status=Job.Status.SUCCEEDED)
    client.force_login(reviewer)
    html = client.get(reverse("jobs:job-detail", args=[pending_job.pk])).content.decode()
    assert reverse("jobs:job-cancel", args=[pending_job.pk]) not in html


# --- Retry ----------------------------------------------------------------------------------------


def test_retrying_a_failed_labelling_job_finishes_it(
    client, failed_labelling_job, simulated_dataset, model, django_capture_on_commit_callbacks
):
    client.force_login(failed_labelling_job.created_by)
    detail = client.get(reverse("jobs:job-detail", args=[failed_labelling_job.pk])).content.decode()
    assert reverse("jobs:job-retry", args=[failed_labelling_job.pk]) in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(client, failed_labelling_job)

    assert response["Location"] == reverse("jobs:job-detail", args=[failed_labelling_job.pk])
    failed_labelling_job.refresh_from_db()
    assert failed_labelling_job.status == Job.Status.SUCCEEDED
    assert failed_labelling_job.progress_done == failed_labelling_job.progress_total
    turns = Turn.objects.filter(dialogue__dataset=simulated_dataset).count()
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == turns


def test_retrying_a_job_cancelled_before_it_was_planned_plans_and_runs_it(
    client, simulated_dataset, model, admin_user, django_capture_on_commit_callbacks
):
    job = job_services.label_job_create(dataset=simulated_dataset, model_version=model, user=admin_user)
    client.force_login(admin_user)
    cancel(client, job)  # still pending: nothing was planned

    with django_capture_on_commit_callbacks(execute=True):
        retry(client, job)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE).exists()


def test_a_stranger_cannot_retry_a_job(client, failed_labelling_job, stranger):
    client.force_login(stranger)
    assert retry(client, failed_labelling_job).status_code == 404
    failed_labelling_job.refresh_from_db()
    assert failed_labelling_job.status == Job.Status.FAILED


def test_a_job_that_cannot_be_retried_says_why(client, reviewer, pending_job):
    client.force_login(reviewer)
    response = client.post(reverse("jobs:job-retry", args=[pending_job.pk]), follow=True)
    assert "Only a failed or cancelled job can be retried; job" in response.content.decode()
    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.PENDING


# --- Rate, time left and chunks in status.json ----------------------------------------------------


def test_status_json_reports_the_rate_the_time_left_and_the_chunks(client, reviewer, pending_job):
    Job.objects.filter(pk=pending_job.pk).update(
        status=Job.Status.RUNNING,
        started_at=timezone.now() - timedelta(seconds=100),
        progress_done=500,
        progress_total=1500,
    )
    JobChunk.objects.bulk_create(
        [
            JobChunk(job=pending_job, index=0, status=JobChunk.Status.DONE),
            JobChunk(job=pending_job, index=1, status=JobChunk.Status.DONE),
            JobChunk(job=pending_job, index=2, status=JobChunk.Status.PENDING),
            JobChunk(job=pending_job, index=3, status=JobChunk.Status.FAILED),
        ]
    )
    client.force_login(reviewer)

    body = client.get(reverse("jobs:job-status", args=[pending_job.pk])).json()

    assert body["rate"] == pytest.approx(5.0, rel=0.05)  # 500 turns in 100 s
    assert body["eta_seconds"] == pytest.approx(200, rel=0.05)  # 1,000 turns left at 5/s
    assert body["rate_display"].endswith("turns/s")
    assert body["chunks"] == {"pending": 1, "done": 2, "failed": 1, "cancelled": 0}


def test_status_json_has_no_rate_before_any_progress_and_no_eta_once_finished(client, reviewer, pending_job):
    client.force_login(reviewer)
    url = reverse("jobs:job-status", args=[pending_job.pk])
    assert (client.get(url).json()["rate"], client.get(url).json()["eta_seconds"]) == (None, None)

    now = timezone.now()
    Job.objects.filter(pk=pending_job.pk).update(
        status=Job.Status.SUCCEEDED,
        started_at=now - timedelta(seconds=10),
        finished_at=now,
        progress_done=100,
        progress_total=100,
    )
    body = client.get(url).json()
    assert body["rate"] == pytest.approx(10.0)
    assert body["eta_seconds"] is None


def test_jobs_other_than_labelling_have_no_chunks(client, dataset_admin, dataset):
    job = Job.objects.create(kind=IMPORT_JOB, dataset=dataset, created_by=dataset_admin)
    client.force_login(dataset_admin)
    assert client.get(reverse("jobs:job-status", args=[job.pk])).json()["chunks"] is None


def test_the_job_page_shows_rate_time_left_and_chunk_counts_for_the_script_to_update(
    client, reviewer, pending_job
):
    JobChunk.objects.create(job=pending_job, index=0, status=JobChunk.Status.DONE)
    client.force_login(reviewer)
    html = client.get(reverse("jobs:job-detail", args=[pending_job.pk])).content.decode()
    assert 'data-field="rate"' in html and 'data-field="eta"' in html
    assert 'data-chunk="done"><span data-count>1</span> done' in html


# ---------------------------------------------------------------------------------------------------
# A cancel always wins: state changes are conditional
# ---------------------------------------------------------------------------------------------------


def test_a_worker_cannot_start_a_job_cancelled_while_it_was_pending(pending_job):
    from jobs.services import JobNotRunnable, job_request_cancel, job_start

    taken_by_worker = Job.objects.get(pk=pending_job.pk)  # the worker read it while it was pending
    job_request_cancel(job=pending_job)

    with pytest.raises(JobNotRunnable):
        job_start(job=taken_by_worker, phase="labelling")

    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.CANCELLED
    assert pending_job.cancel_requested


def test_a_training_job_cancelled_while_pending_never_trains(dataset, dataset_admin):
    from jobs.services import JobNotRunnable, job_request_cancel
    from models_app.models import ModelVersion

    job = job_services.train_job_create(name="never", datasets=[dataset], user=dataset_admin)
    taken_by_worker = Job.objects.get(pk=job.pk)
    job_request_cancel(job=job)

    with pytest.raises(JobNotRunnable):
        job_services.train_job_run(job=taken_by_worker)

    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert not ModelVersion.objects.filter(name="never").exists()


def test_a_finished_job_is_not_ended_again(pending_job):
    from jobs.services import job_request_cancel, job_succeed

    job_request_cancel(job=pending_job)
    job_succeed(job=Job.objects.get(pk=pending_job.pk), result={"late": True})

    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.CANCELLED
    assert pending_job.result is None


def test_a_cancel_that_comes_after_the_start_flags_the_running_job(pending_job):
    from jobs.services import job_request_cancel, job_start

    job_start(job=pending_job, phase="labelling")
    job_request_cancel(job=pending_job)

    pending_job.refresh_from_db()
    assert pending_job.status == Job.Status.RUNNING
    assert pending_job.cancel_requested
