"""Starting an import over the API: a multipart upload or the raw body (JSON Lines or gzip); the
answer is 202 with the job, which runs once the request has committed."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Dialogue
from jobs.models import Job
from tests.factories import dialogue as dialogue_data

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/datasets/assistant-logs/imports/"


def jsonl_bytes(*dialogues: dict) -> bytes:
    return "".join(json.dumps(d) + "\n" for d in dialogues).encode()


def jsonl(*dialogues: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile("logs.jsonl", jsonl_bytes(*dialogues))


def test_an_import_needs_credentials(api, dataset):
    response = api.post(IMPORT_URL, {"file": jsonl(dialogue_data())}, format="multipart")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_upload_answers_202_with_the_job_that_then_runs(
    api, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    api.force_authenticate(dataset_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            IMPORT_URL, {"file": jsonl(dialogue_data("a1")), "on_duplicate": "replace"}, format="multipart"
        )
    assert response.status_code == 202
    job = Job.objects.get()
    body = response.json()
    assert (body["id"], body["kind"], body["status"], body["dataset"]) == (
        job.pk,
        "import",
        "pending",
        "assistant-logs",
    )
    assert job.params["on_duplicate"] == "replace"
    finished = api.get(f"/api/jobs/{job.pk}/").json()
    assert finished["status"] == "succeeded"
    assert finished["result"]["dialogues"] == 1


def test_a_raw_json_lines_body_imports_with_options_in_the_query(
    api, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    api.force_authenticate(dataset_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            IMPORT_URL + "?skip_invalid=true",
            jsonl_bytes(dialogue_data("r1"), dialogue_data("r2")) + b"not json\n",
            content_type="application/x-ndjson",
        )
    assert response.status_code == 202
    job = Job.objects.get()
    assert job.params["skip_invalid"] is True
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert sorted(Dialogue.objects.values_list("external_id", flat=True)) == ["r1", "r2"]


def test_a_raw_gzip_body_imports(api, dataset, dataset_admin, django_capture_on_commit_callbacks):
    api.force_authenticate(dataset_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            IMPORT_URL, gzip.compress(jsonl_bytes(dialogue_data("z1"))), content_type="application/gzip"
        )
    assert response.status_code == 202
    assert Job.objects.get().params["filename"] == "upload.jsonl.gz"
    assert Dialogue.objects.get().external_id == "z1"


def test_a_raw_body_keeps_the_name_its_content_disposition_gives_without_its_folders(
    api, dataset, dataset_admin
):
    api.force_authenticate(dataset_admin)
    response = api.post(
        IMPORT_URL,
        jsonl_bytes(dialogue_data()),
        content_type="application/x-ndjson",
        HTTP_CONTENT_DISPOSITION='attachment; filename="../../calls.jsonl"',
    )
    assert response.status_code == 202
    assert Job.objects.get().params["filename"] == "calls.jsonl"


def test_an_empty_body_is_a_400_naming_the_file(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.post(IMPORT_URL, b"", content_type="application/x-ndjson")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Job.objects.exists()


def test_a_bad_option_a_missing_file_or_a_wrong_file_type_is_a_400_naming_the_field(
    api, dataset, dataset_admin
):
    api.force_authenticate(dataset_admin)
    response = api.post(
        IMPORT_URL, {"file": jsonl(dialogue_data()), "on_duplicate": "merge"}, format="multipart"
    )
    assert response.status_code == 400
    assert "on_duplicate" in response.json()
    assert "file" in api.post(IMPORT_URL, {}, format="multipart").json()
    wrong = api.post(IMPORT_URL, {"file": SimpleUploadedFile("logs.csv", b"a,b\n")}, format="multipart")
    assert "file" in wrong.json()
    assert not Job.objects.exists()


def test_a_body_of_another_type_is_a_415(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.post(IMPORT_URL, b"a,b\n", content_type="text/csv")
    assert response.status_code == 415
    assert "detail" in response.json()


def test_a_viewer_or_reviewer_may_not_import_and_a_stranger_sees_no_dataset(
    api, dataset, viewer, reviewer, stranger
):
    for person, status in ((viewer, 403), (reviewer, 403), (stranger, 404)):
        api.force_authenticate(person)
        assert (
            api.post(IMPORT_URL, {"file": jsonl(dialogue_data())}, format="multipart").status_code == status
        )
    assert not Job.objects.exists()
