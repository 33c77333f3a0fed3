"""The job pages, the status JSON the job page polls, and the job API: who may see which job."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotations.models import Dataset
from annotations.services import IMPORT_JOB
from jobs.models import Job
from models_app.job_services import LABEL_JOB, TRAIN_JOB
from teachable.services import FIND_MOMENTS_JOB

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job(dataset, dataset_admin) -> Job:
    return Job.objects.create(
        kind=IMPORT_JOB,
        dataset=dataset,
        created_by=dataset_admin,
        status=Job.Status.RUNNING,
        phase="writing",
        progress_done=250,
        progress_total=1000,
        started_at=timezone.now(),
        params={"filename": "logs.jsonl", "on_duplicate": "error", "skip_invalid": False},
    )


def test_job_status_json_reports_progress(client, viewer, running_job):
    client.force_login(viewer)
    response = client.get(reverse("jobs:job-status", args=[running_job.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert (body["status"], body["phase"], body["percent"], body["is_finished"]) == (
        "running",
        "writing",
        25.0,
        False,
    )
    assert (body["progress_done"], body["progress_total"]) == (250, 1000)


def test_job_status_json_without_a_total_has_no_percent(client, dataset_admin, dataset):
    job = Job.objects.create(kind=IMPORT_JOB, dataset=dataset, progress_done=3)
    client.force_login(dataset_admin)
    assert client.get(reverse("jobs:job-status", args=[job.pk])).json()["percent"] is None


def test_job_page_shows_a_progress_bar_and_polls(client, viewer, running_job):
    client.force_login(viewer)
    html = client.get(reverse("jobs:job-detail", args=[running_job.pk])).content.decode()
    assert '<progress id="job-progress" max="100" value="25.0">' in html
    assert f'data-status-url="/jobs/{running_job.pk}/status.json"' in html
    assert 'data-finished="false"' in html
    assert "js/job-progress.js" in html
    assert "logs.jsonl" in html and "writing" in html


def test_a_finished_import_shows_its_result_and_rejects_link(client, dataset_admin, running_job):
    default_storage.save("imports/x/rejects.jsonl", ContentFile(b'{"bad": 1}\n'))
    Job.objects.filter(pk=running_job.pk).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result={
            "dialogues": 7,
            "turns": 20,
            "labels": 31,
            "skipped_duplicates": 1,
            "rejected_lines": 1,
            "rejects_file": "imports/x/rejects.jsonl",
        },
    )
    client.force_login(dataset_admin)
    html = client.get(reverse("jobs:job-detail", args=[running_job.pk])).content.decode()
    assert "Duplicates skipped" in html and "Invalid lines rejected" in html
    assert 'data-finished="true"' in html
    rejects = client.get(reverse("jobs:job-rejects", args=[running_job.pk]))
    assert rejects.status_code == 200
    assert b"".join(rejects.streaming_content) == b'{"bad": 1}\n'


def test_a_finished_labelling_job_says_what_it_wrote_in_words(client, dataset, dataset_admin):
    job = Job.objects.create(
        kind=LABEL_JOB,
        dataset=dataset,
        status=Job.Status.SUCCEEDED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        progress_done=80,
        progress_total=80,
        result={
            "chunks": {"done": 2, "failed": 0},
            "turns_labelled": 80,
            "labels_written": 1234,
            "seconds_in_chunks": 40.868,
        },
    )
    client.force_login(dataset_admin)
    html = client.get(reverse("jobs:job-detail", args=[job.pk])).content.decode()
    assert "<dt>Labels written</dt><dd>1,234</dd>" in html
    assert "<dt>Chunks</dt><dd>2 done</dd>" in html
    assert "<dt>Time spent labelling</dt><dd>41 s</dd>" in html
    assert "{&quot;done&quot;" not in html and "40.868" not in html
    status = client.get(reverse("jobs:job-status", args=[job.pk])).json()
    assert {"key": "labels_written", "name": "Labels written", "value": "1,234"} in status["result_rows"]


def test_an_import_rate_carries_its_unit(client, dataset, dataset_admin):
    started = timezone.now() - timezone.timedelta(seconds=10)
    job = Job.objects.create(
        kind=IMPORT_JOB,
        dataset=dataset,
        status=Job.Status.RUNNING,
        phase="validating",
        started_at=started,
        progress_done=9_780_803,
        progress_total=20_000_000,
    )
    client.force_login(dataset_admin)
    status = client.get(reverse("jobs:job-status", args=[job.pk])).json()
    assert status["rate_display"].endswith(" kB/s")  # about 978,080 bytes a second
    assert status["progress_display"] == "48.9% · 9.8 MB of 20.0 MB"
    Job.objects.filter(pk=job.pk).update(phase="writing", progress_done=300, progress_total=900)
    status = client.get(reverse("jobs:job-status", args=[job.pk])).json()
    assert status["rate_display"].endswith(" dialogues/s")
    assert status["progress_display"] == "33.3% · 300 of 900 dialogues"


def test_a_failed_job_shows_its_error_keeping_line_breaks(client, dataset_admin, running_job):
    error = "logs.jsonl:3: turns[0].utterance: required\nlogs.jsonl:9: id: duplicate of line 2"
    Job.objects.filter(pk=running_job.pk).update(status=Job.Status.FAILED, error=error)
    client.force_login(dataset_admin)
    html = client.get(reverse("jobs:job-detail", args=[running_job.pk])).content.decode()
    assert f'<pre class="error-text" data-field="error">{error}</pre>' in html


def test_stranger_cannot_see_a_job_of_a_dataset(client, stranger, running_job):
    client.force_login(stranger)
    assert client.get(reverse("jobs:job-detail", args=[running_job.pk])).status_code == 404
    assert client.get(reverse("jobs:job-status", args=[running_job.pk])).status_code == 404
    assert client.get(reverse("jobs:job-rejects", args=[running_job.pk])).status_code == 404
    assert running_job not in client.get(reverse("jobs:job-list")).context["page"].object_list


def test_job_list_shows_jobs_of_my_datasets_and_jobs_i_started(
    client, dataset, viewer, stranger, running_job
):
    elsewhere = Dataset.objects.create(name="elsewhere")
    mine = Job.objects.create(kind=TRAIN_JOB, created_by=viewer)
    Job.objects.create(kind=IMPORT_JOB, dataset=elsewhere, created_by=stranger)
    client.force_login(viewer)
    response = client.get(reverse("jobs:job-list"))
    assert list(response.context["page"].object_list) == [mine, running_job]


def test_job_list_costs_a_fixed_number_of_queries(client, dataset, dataset_admin, django_assert_num_queries):
    for _ in range(8):
        Job.objects.create(kind=IMPORT_JOB, dataset=dataset, created_by=dataset_admin)
    client.force_login(dataset_admin)
    with django_assert_num_queries(4):  # session, user, count, page with datasets and people
        client.get(reverse("jobs:job-list"))


def test_job_api_returns_the_job(viewer, running_job):
    api = APIClient()
    api.force_authenticate(viewer)
    body = api.get(f"/api/jobs/{running_job.pk}/").json()
    assert body["id"] == running_job.pk
    assert (body["kind"], body["status"], body["phase"], body["dataset"]) == (
        "import",
        "running",
        "writing",
        "assistant-logs",
    )
    assert (body["progress_done"], body["progress_total"], body["result"], body["error"]) == (
        250,
        1000,
        None,
        "",
    )
    assert body["started_at"] and body["finished_at"] is None


def test_job_api_is_404_for_a_stranger_and_names_no_dataset_for_a_job_without_one(stranger, running_job):
    api = APIClient()
    api.force_authenticate(stranger)
    assert api.get(f"/api/jobs/{running_job.pk}/").status_code == 404
    own = Job.objects.create(kind=TRAIN_JOB, created_by=stranger)
    assert api.get(f"/api/jobs/{own.pk}/").json()["dataset"] is None


# --- How each kind reads: the registry's words, not another kind's ------------------------------


def test_the_jobs_list_says_what_a_succeeded_job_did_and_where_a_failed_one_stopped(
    client, dataset, dataset_admin
):
    Job.objects.create(
        kind=FIND_MOMENTS_JOB,
        dataset=dataset,
        status=Job.Status.SUCCEEDED,
        result={"dialogues": 300, "moments_found": 12, "moments_new": 9},
    )
    Job.objects.create(
        kind=IMPORT_JOB,
        dataset=dataset,
        status=Job.Status.FAILED,
        phase="validating",
        progress_done=3_400_000,
        progress_total=3_400_000,
        error="logs.jsonl:3: id: required",
    )
    client.force_login(dataset_admin)

    html = client.get(reverse("jobs:job-list")).content.decode()

    assert "<td>9 new teachable moments in 300 dialogues</td>" in html
    assert "<td>Stopped while validating, 3.4 MB of 3.4 MB</td>" in html
    assert "100%" not in html and "<td>0</td>" not in html


def test_a_teachable_moments_result_reads_in_its_own_words(client, dataset, dataset_admin):
    job = Job.objects.create(
        kind=FIND_MOMENTS_JOB,
        dataset=dataset,
        status=Job.Status.SUCCEEDED,
        result={"dialogues": 300, "moments_found": 12, "moments_new": 9},
    )
    client.force_login(dataset_admin)

    html = client.get(reverse("jobs:job-detail", args=[job.pk])).content.decode()

    assert "<dt>Dialogues read</dt><dd>300</dd>" in html
    assert "<dt>New moments</dt><dd>9</dd>" in html
    assert "imported" not in html.lower()


def test_a_dataset_page_says_why_a_job_failed_and_offers_a_retry_to_those_who_may(
    client, dataset, dataset_admin, viewer
):
    failed = Job.objects.create(
        kind=TRAIN_JOB,
        dataset=dataset,
        status=Job.Status.FAILED,
        error="AttributeError: 'LoggingProxy' object has no attribute 'buffer'",
        finished_at=timezone.now(),
    )
    page = reverse("annotations:dataset-detail", args=[dataset.name])

    client.force_login(dataset_admin)
    html = client.get(page).content.decode()
    assert "Training failed on this dataset." in html
    assert "AttributeError: &#x27;LoggingProxy&#x27; object has no attribute &#x27;buffer&#x27;" in html
    assert reverse("jobs:job-retry", args=[failed.pk]) in html
    client.force_login(viewer)
    html = client.get(page).content.decode()
    assert "Training failed on this dataset." in html
    assert reverse("jobs:job-retry", args=[failed.pk]) not in html


def test_a_failure_answered_by_a_later_job_of_its_kind_leaves_the_dataset_pages(
    client, dataset, dataset_admin
):
    Job.objects.create(kind=TRAIN_JOB, dataset=dataset, status=Job.Status.FAILED, error="out of memory")
    Job.objects.create(kind=TRAIN_JOB, dataset=dataset, status=Job.Status.RUNNING, params={"label_after": []})
    client.force_login(dataset_admin)

    html = client.get(reverse("annotations:dataset-detail", args=[dataset.name])).content.decode()

    assert "out of memory" not in html
    assert "A model is training for this dataset" in html
