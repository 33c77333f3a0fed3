"""The REST doors: the person's datasets, and starting an import by upload."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations.models import Dataset
from jobs.models import Job
from tests.annotations.page_helpers import make_dialogue
from tests.factories import dialogue as dialogue_data

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/datasets/assistant-logs/imports/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def jsonl(*dialogues: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile("logs.jsonl", "".join(json.dumps(d) + "\n" for d in dialogues).encode())


def test_api_needs_authentication(api, dataset):
    assert api.get("/api/datasets/").status_code in (401, 403)
    assert api.post(IMPORT_URL, {"file": jsonl(dialogue_data())}, format="multipart").status_code in (
        401,
        403,
    )


def test_api_import_answers_202_with_a_job(api, dataset, dataset_admin, django_capture_on_commit_callbacks):
    api.force_authenticate(dataset_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            IMPORT_URL, {"file": jsonl(dialogue_data("a1")), "on_duplicate": "replace"}, format="multipart"
        )
    assert response.status_code == 202
    job = Job.objects.get()
    body = response.json()
    assert body["id"] == job.pk
    assert (body["kind"], body["status"], body["dataset"]) == ("import", "pending", "assistant-logs")
    assert set(body) >= {"phase", "progress_done", "progress_total", "result", "error", "created_at"}
    assert job.params["on_duplicate"] == "replace"
    # The job ran once the request committed; the job API now reports its end.
    finished = api.get(f"/api/jobs/{job.pk}/").json()
    assert finished["status"] == "succeeded"
    assert finished["result"]["dialogues"] == 1


def test_api_import_works_with_a_token(api, dataset, dataset_admin):
    token = Token.objects.create(user=dataset_admin)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post(IMPORT_URL, {"file": jsonl(dialogue_data())}, format="multipart").status_code == 202


def test_api_import_is_403_for_a_viewer_or_reviewer(api, dataset, viewer, reviewer):
    for person in (viewer, reviewer):
        api.force_authenticate(person)
        assert api.post(IMPORT_URL, {"file": jsonl(dialogue_data())}, format="multipart").status_code == 403
    assert not Job.objects.exists()


def test_api_import_is_404_for_a_stranger(api, dataset, stranger):
    api.force_authenticate(stranger)
    assert api.post(IMPORT_URL, {"file": jsonl(dialogue_data())}, format="multipart").status_code == 404


def test_api_import_rejects_a_bad_choice_or_a_missing_file(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.post(
        IMPORT_URL, {"file": jsonl(dialogue_data()), "on_duplicate": "merge"}, format="multipart"
    )
    assert response.status_code == 400
    assert "on_duplicate" in response.json()
    assert api.post(IMPORT_URL, {}, format="multipart").status_code == 400
    bad_name = SimpleUploadedFile("logs.csv", b"a,b\n")
    assert api.post(IMPORT_URL, {"file": bad_name}, format="multipart").status_code == 400
    assert not Job.objects.exists()


def test_api_lists_the_persons_datasets_with_counts(api, dataset, viewer):
    Dataset.objects.create(name="secret-logs")
    make_dialogue(dataset, "d1", ["one", "two"])
    api.force_authenticate(viewer)
    body = api.get("/api/datasets/").json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["name"], row["role"], row["dialogues"], row["turns"]) == ("assistant-logs", "viewer", 1, 2)
    assert row["labels"]["total"] == sum(
        count for status, count in row["labels"].items() if status != "total"
    )
