"""A job that failed can run again, whatever its kind, from the job page, the API or the dataset's
notice: a chunked job its unfinished chunks (nothing written twice), a one-task job from the top,
keeping what its last run finished. An import keeps its upload for that, for a while."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, connections
from django.urls import reverse

from annotations.models import Dataset, Dialogue, Label
from annotations.services import IMPORT_JOB, import_job_create
from jobs.models import Job, JobChunk
from jobs.registry import job_kinds
from jobs.services import (
    job_chunk_failed,
    job_chunk_run,
    job_fail,
    job_plan,
    job_retry,
    job_run,
    job_start,
    jobs_housekeeping,
)
from models_app.job_services import LABEL_JOB, TRAIN_JOB, label_job_create, train_job_create
from models_app.models import ModelVersion
from selflearn_site.exceptions import ApplicationError
from tests.factories import dialogue as dialogue_data


def upload(dialogues: int = 3) -> SimpleUploadedFile:
    lines = "".join(json.dumps(dialogue_data(f"d{index}")) + "\n" for index in range(dialogues))
    return SimpleUploadedFile("logs.jsonl", lines.encode())


@contextmanager
def connection_lost_while_writing() -> Iterator[dict[str, int]]:
    """The import's database connection goes when the import starts writing, once: on PostgreSQL the
    server ends it (``pg_terminate_backend`` from a second connection), on SQLite (no server to end
    it) the statement fails with the OperationalError a lost connection raises."""
    lost = {"times": 0}

    def lose(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        writing = sql.startswith(("SET CONSTRAINTS", 'INSERT INTO "annotations_dialogue"'))
        if writing and not lost["times"]:
            lost["times"] += 1
            if connection.vendor != "postgresql":
                raise OperationalError("the database connection was lost")
            pid = connection.connection.get_backend_pid()
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            finally:
                other.close()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose):
        yield lost


def stored_import(dataset: Dataset, user: Any, dialogues: int) -> Job:
    """An import job as the upload page files it, not yet sent to a worker."""
    name = default_storage.save("imports/retry/logs.jsonl", upload(dialogues))
    params = {"file": name, "filename": "logs.jsonl", "on_duplicate": "error", "skip_invalid": False}
    return Job.objects.create(kind=IMPORT_JOB, dataset=dataset, created_by=user, params=params)


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_during_an_import_fails_it_writes_nothing_and_a_retry_completes_it(
    dataset, dataset_admin
):
    job = stored_import(dataset, dataset_admin, 3)

    with connection_lost_while_writing() as lost:
        job_run(job_id=job.pk)

    job.refresh_from_db()
    assert lost["times"] == 1
    assert job.status == Job.Status.FAILED
    assert "OperationalError" in job.error
    assert not Dialogue.objects.exists()

    job_retry(job=job)  # sent to the (eager) worker as the retry commits

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Dialogue.objects.filter(dataset=dataset).count() == 3
    assert job.result["dialogues"] == 3


@pytest.mark.django_db
def test_a_failed_import_is_retried_from_the_api_while_its_upload_is_kept(
    client, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_create(dataset=dataset, upload=upload(2), user=dataset_admin)
    job_start(job=job)
    job_fail(job=job, error="OperationalError: server closed the connection unexpectedly")
    client.force_login(dataset_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/jobs/{job.pk}/retry/")

    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert Dialogue.objects.filter(dataset=dataset).count() == 2


@pytest.mark.django_db
def test_an_import_whose_upload_was_removed_after_its_retention_says_to_upload_again(
    client, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_create(dataset=dataset, upload=upload(2), user=dataset_admin)
    job_fail(job=job, error="the worker was lost")
    job.refresh_from_db()
    later = job.finished_at.timestamp() + settings.SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS + 1
    jobs_housekeeping(now=job.finished_at.fromtimestamp(later, tz=job.finished_at.tzinfo), force=True)
    client.force_login(dataset_admin)

    response = client.post(f"/api/jobs/{job.pk}/retry/")

    assert response.status_code == 409
    assert "upload the file again" in response.json()["detail"]
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(entry.kind for entry in job_kinds() if not entry.is_chunked))
def test_a_failed_job_of_every_one_task_kind_starts_over_from_pending(
    kind, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    job = Job.objects.create(
        kind=kind,
        dataset=dataset,
        created_by=dataset_admin,
        status=Job.Status.FAILED,
        phase="writing",
        progress_done=7,
        progress_total=9,
        error="it broke",
        params={"file": "imports/x/logs.jsonl"} if kind == IMPORT_JOB else {},
    )
    if kind == IMPORT_JOB:
        default_storage.save("imports/x/logs.jsonl", ContentFile(b"{}\n"))

    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert job_retry(job=job) == []

    job.refresh_from_db()
    assert (job.status, job.error, job.phase, job.progress_done) == (Job.Status.PENDING, "", "", 0)
    assert len(sent) == 1  # sent to a worker once the retry commits


@pytest.mark.django_db
def test_only_a_failed_or_cancelled_job_runs_again(dataset):
    running = Job.objects.create(kind=LABEL_JOB, dataset=dataset, status=Job.Status.RUNNING)
    with pytest.raises(ApplicationError, match="is running"):
        job_retry(job=running)


@pytest.mark.django_db
def test_a_training_job_retried_after_its_model_was_registered_does_not_train_again(
    simulated_dataset, admin_user, settings, tmp_path, tiny_encoder, django_capture_on_commit_callbacks
):
    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"
    settings.SELFLEARN_ENCODER = tiny_encoder
    later = Dataset.objects.create(name="to-label-later")
    with django_capture_on_commit_callbacks(execute=False):
        job = train_job_create(
            name="kept",
            datasets=[simulated_dataset],
            user=admin_user,
            preset="demo",
            epochs=1,
            label_after=[later],
        )
    later.delete()  # what it should label after training is gone: it fails once the model is there

    with django_capture_on_commit_callbacks(execute=False):
        job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "No dataset named 'to-label-later'" in job.error
    model = ModelVersion.objects.get(name="kept")
    Dataset.objects.create(name="to-label-later")

    with django_capture_on_commit_callbacks(execute=False):
        job_retry(job=job)
        job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert list(ModelVersion.objects.filter(name="kept")) == [model]  # the same model, not trained again
    (labelling,) = Job.objects.filter(kind=LABEL_JOB)
    assert job.result["labelling_jobs"] == [labelling.pk]


@pytest.mark.django_db
def test_the_job_page_offers_retry_to_those_who_may_and_says_resume_for_a_cancelled_job(
    client, dataset, dataset_admin, viewer
):
    failed = Job.objects.create(kind=TRAIN_JOB, dataset=dataset, status=Job.Status.FAILED, error="boom")
    cancelled = Job.objects.create(kind=LABEL_JOB, dataset=dataset, status=Job.Status.CANCELLED)
    retry_url = reverse("jobs:job-retry", args=[failed.pk])

    client.force_login(dataset_admin)
    page = client.get(reverse("jobs:job-detail", args=[failed.pk])).content.decode()
    assert retry_url in page and ">Retry</button>" in page
    assert ">Resume</button>" in client.get(reverse("jobs:job-detail", args=[cancelled.pk])).content.decode()
    client.force_login(viewer)
    assert retry_url not in client.get(reverse("jobs:job-detail", args=[failed.pk])).content.decode()


@pytest.mark.django_db
def test_a_labelling_job_retried_keeps_its_finished_chunks_and_writes_no_label_twice(
    simulated_dataset, model, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = label_job_create(
            dataset=simulated_dataset, model_version=model, user=admin_user, chunk_dialogues=6
        )
    job_plan(job=job)
    job_chunk_run(job=job, index=0)
    for index in range(1, 4):
        job_chunk_failed(job=job, index=index, error=RuntimeError("lost"))
    first = JobChunk.objects.get(job=job, index=0)

    with django_capture_on_commit_callbacks(execute=True):
        assert job_retry(job=job) == [1, 2, 3]

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    again = JobChunk.objects.get(job=job, index=0)
    assert (again.attempts, again.written, again.finished_at) == (1, first.written, first.finished_at)
    rows = Label.objects.filter(model_version=model)
    assert job.result["labels_written"] == rows.count()
    assert rows.count() == len(set(rows.values_list("turn_id", "dialogue_id", "kind")))  # none twice
    assert job.progress_done == job.progress_total


@pytest.mark.django_db
def test_the_housekeeping_command_removes_uploads_kept_past_their_retention(
    dataset, dataset_admin, settings, capsys
):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    kept = stored_import(dataset, dataset_admin, 1)
    expired = stored_import(dataset, dataset_admin, 1)
    retention = timedelta(seconds=settings.SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS)
    Job.objects.filter(pk=kept.pk).update(status=Job.Status.FAILED, finished_at=timezone.now())
    Job.objects.filter(pk=expired.pk).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now() - retention - timedelta(minutes=1)
    )

    call_command("jobs_housekeeping")

    assert "import: 1 removed" in capsys.readouterr().out
    assert default_storage.exists(Job.objects.get(pk=kept.pk).params["file"])
    assert not default_storage.exists(Job.objects.get(pk=expired.pk).params["file"])


@pytest.mark.django_db(transaction=True)
def test_an_import_that_lost_its_connection_after_writing_is_retried_without_writing_twice(
    dataset, dataset_admin, monkeypatch
):
    from annotations import services

    job = stored_import(dataset, dataset_admin, 3)
    succeed = services.job_succeed
    lost = {"times": 0}

    def connection_lost_once(**kwargs: Any) -> Job:
        # The import's transaction has committed; the job's own row is not written yet.
        if not lost["times"]:
            lost["times"] += 1
            raise OperationalError("server closed the connection unexpectedly")
        return succeed(**kwargs)

    monkeypatch.setattr(services, "job_succeed", connection_lost_once)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "OperationalError" in job.error
    assert Dialogue.objects.filter(dataset=dataset).count() == 3
    assert job.params["written"]["dialogues"] == 3  # noted in the import's own transaction

    job_retry(job=job)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Dialogue.objects.filter(dataset=dataset).count() == 3
    assert job.result["dialogues"] == 3
    assert not default_storage.exists(job.params["file"])
