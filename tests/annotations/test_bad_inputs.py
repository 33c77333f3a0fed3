"""Bad inputs, each sent the way an attacker or an unlucky operator would: none may answer 5xx, leave a
job running, or leave anything written (no dialogue, no empty dataset; a failed import's upload is
kept only for a retry). Limits are set small here so that each case costs little; the refusals name
the line."""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.formats import import_reading
from annotations.formats.importing import ImportCancelled, ImportSource, import_dialogues
from annotations.models import Dataset, Dialogue
from annotations.services import upload_temp_files_sweep
from jobs.models import Job
from jobs.services import job_request_cancel, jobs_housekeeping
from jobs.tasks import job_run_task
from tests.factories import dialogue as dialogue_data

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/datasets/assistant-logs/imports/"


def nested(levels: int) -> bytes:
    """A dialogue line whose metadata nests ``levels`` arrays deep."""
    line = json.dumps(dialogue_data("deep")).encode()
    return line.replace(b'"metadata": {', b'"metadata": {"deep": ' + b"[" * levels + b"]" * levels + b", ", 1)


def import_over_api(api, admin, body: bytes, name: str = "logs.jsonl", capture=None) -> Job:
    api.force_authenticate(admin)
    with capture(execute=True):
        response = api.post(IMPORT_URL, {"file": SimpleUploadedFile(name, body)}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert job.is_finished
    return job


def stored_files(settings) -> set[str]:
    media = Path(settings.MEDIA_ROOT)
    imports = media / "imports"
    found = imports.rglob("*") if imports.exists() else ()
    return {str(path.relative_to(media)) for path in found if path.is_file()}


def nothing_left(settings) -> bool:
    """Nothing written, and nothing stored but the uploads of imports that failed or were cancelled,
    kept for a retry."""
    ended = Job.objects.filter(status__in=(Job.Status.FAILED, Job.Status.CANCELLED))
    kept = {job.params.get("file") for job in ended}
    return not Dialogue.objects.exists() and stored_files(settings) <= kept


@pytest.mark.parametrize("levels", [100_000, 950])
def test_a_deeply_nested_line_fails_the_import_naming_the_line(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks, levels
):
    body = json.dumps(dialogue_data("ok")).encode() + b"\n" + nested(levels) + b"\n"

    job = import_over_api(api, dataset_admin, body, capture=django_capture_on_commit_callbacks)

    assert job.status == Job.Status.FAILED
    assert "logs.jsonl:2: json: nested more than the limit of 64 levels" in job.error
    assert nothing_left(settings)


def test_a_line_nested_within_the_limit_imports_and_its_pages_answer(
    api, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    job = import_over_api(api, dataset_admin, nested(50) + b"\n", capture=django_capture_on_commit_callbacks)

    assert job.status == Job.Status.SUCCEEDED, job.error
    dialogue = Dialogue.objects.get()
    assert api.get(f"/api/datasets/assistant-logs/dialogues/{dialogue.pk}/").status_code == 200


def test_every_page_of_a_dialogue_nested_just_within_the_limit_answers(
    api, client, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    # Finding 4: a line nested 950 levels imported, and then these pages answered 500 for good.
    job = import_over_api(api, dataset_admin, nested(60) + b"\n", capture=django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED, job.error
    dialogue = Dialogue.objects.get()
    client.force_login(dataset_admin)

    pages = [
        reverse("annotations:dataset-detail", args=[dataset.name]),
        reverse("annotations:dialogue-detail", args=[dataset.name, dialogue.external_id]),
        reverse("review:review-dialogue", args=[dataset.name, dialogue.pk]),
        f"/api/datasets/{dataset.name}/dialogues/",
        f"/api/datasets/{dataset.name}/dialogues/{dialogue.pk}/",
        f"/api/datasets/{dataset.name}/review/dialogues/{dialogue.pk}/",
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_a_gzip_bomb_stops_at_the_line_limit_with_flat_memory(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    settings.SELFLEARN_IMPORT_MAX_LINE_BYTES = 1 << 20
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MB of one line, in ~64 KB

    job = import_over_api(
        api, dataset_admin, bomb, name="bomb.jsonl.gz", capture=django_capture_on_commit_callbacks
    )

    assert job.status == Job.Status.FAILED
    assert "bomb.jsonl.gz:1: line: longer than the limit of 1048576 bytes" in job.error
    assert nothing_left(settings)


def test_a_file_that_decompresses_beyond_the_limit_fails_naming_where_it_stopped(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    settings.SELFLEARN_IMPORT_MAX_DECOMPRESSED_BYTES = 8 << 20
    bomb = gzip.compress(b"\n" * (32 << 20), compresslevel=9)

    job = import_over_api(
        api, dataset_admin, bomb, name="bomb.jsonl.gz", capture=django_capture_on_commit_callbacks
    )

    assert job.status == Job.Status.FAILED
    assert (
        "bomb.jsonl.gz:" in job.error and "decompresses to more than the limit of 8388608 bytes" in job.error
    )
    assert nothing_left(settings)


def test_a_newline_bomb_is_skipped_a_block_at_a_time_not_a_line_at_a_time(dataset, monkeypatch):
    # How fast is the benchmark's business (bench/faults.py); here, the mechanism: a run of blank lines
    # is skipped in one step per block read, whatever its length (it was one step per line: minutes).
    bomb = gzip.compress(b"\n" * (64 << 20), compresslevel=9)  # ~64 KB on the wire
    source = ImportSource(name="nl.jsonl.gz", open=lambda: io.BytesIO(bomb))
    steps = []
    pattern = import_reading.BLANK_LINES

    class CountingPattern:
        def match(self, *args):
            steps.append(1)
            return pattern.match(*args)

    monkeypatch.setattr(import_reading, "BLANK_LINES", CountingPattern())
    report = import_dialogues(source=source, dataset=dataset)

    assert report.dialogues == 0
    assert len(steps) <= 2 * ((64 << 20) // import_reading.BLOCK_BYTES + 1)


def test_a_cancel_stops_an_import_in_any_phase_and_writes_nothing(dataset):
    body = b"\n" * (64 << 20) + json.dumps(dialogue_data("late")).encode() + b"\n"
    source = ImportSource(name="nl.jsonl", open=lambda: io.BytesIO(body))
    asked = []

    def should_stop() -> bool:
        asked.append(time.monotonic())
        return len(asked) > 3

    with pytest.raises(ImportCancelled):
        import_dialogues(source=source, dataset=dataset, should_stop=should_stop)
    assert not Dialogue.objects.exists()

    # In the writing pass too: the transaction rolls back.
    body = b"".join(json.dumps(dialogue_data(f"d{n}")).encode() + b"\n" for n in range(5))
    source = ImportSource(name="ok.jsonl", open=lambda: io.BytesIO(body))
    calls = iter([False, False, False, True])

    with pytest.raises(ImportCancelled):
        import_dialogues(source=source, dataset=dataset, should_stop=lambda: next(calls, True))
    assert not Dialogue.objects.exists()


def test_an_import_job_cancelled_while_it_runs_ends_cancelled_within_a_second(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from annotations import services

    original = services.JobProgress.__call__

    def cancel_once_running(self, phase, done, total):
        job_request_cancel(job=Job.objects.get(pk=self.job.pk))  # the person presses Cancel
        return original(self, phase, done, total)

    monkeypatch.setattr(services.JobProgress, "__call__", cancel_once_running)
    packed = gzip.compress(b"\n" * (512 << 20), 9)  # made before the clock starts: it is not the import
    started = time.monotonic()

    job = import_over_api(
        api,
        dataset_admin,
        packed,
        name="nl.jsonl.gz",
        capture=django_capture_on_commit_callbacks,
    )

    assert job.status == Job.Status.CANCELLED
    assert time.monotonic() - started < 5
    assert nothing_left(settings)


@pytest.mark.parametrize(
    ("limit", "change", "message"),
    [
        ("SELFLEARN_IMPORT_MAX_TURNS", lambda d: d, "ok.jsonl:1: turns: 2 turns, more than the limit of 1"),
        (
            "SELFLEARN_IMPORT_MAX_SLOTS",
            lambda d: {
                **d,
                "turns": [{**d["turns"][0], "slots": d["turns"][0]["slots"] * 2}, *d["turns"][1:]],
            },
            "ok.jsonl:1: turns[0].slots: 2 slots, more than the limit of 1",
        ),
    ],
)
def test_turns_and_slots_past_their_limits_fail_the_import_naming_the_line(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks, limit, change, message
):
    setattr(settings, limit, 1)
    body = json.dumps(change(dialogue_data("d1"))).encode() + b"\n"

    job = import_over_api(
        api, dataset_admin, body, name="ok.jsonl", capture=django_capture_on_commit_callbacks
    )

    assert job.status == Job.Status.FAILED
    assert message in job.error
    assert nothing_left(settings)


def test_an_upload_over_the_limit_is_a_400_and_is_not_stored(api, dataset, dataset_admin, settings):
    settings.SELFLEARN_IMPORT_MAX_UPLOAD_BYTES = 100
    api.force_authenticate(dataset_admin)

    response = api.post(IMPORT_URL, {"file": SimpleUploadedFile("big.jsonl", b"x" * 101)}, format="multipart")

    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert not Job.objects.exists()
    assert nothing_left(settings)


def test_a_failed_import_keeps_its_upload_for_a_retry_until_its_retention_has_passed(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    job = import_over_api(api, dataset_admin, b"not json\n", capture=django_capture_on_commit_callbacks)
    assert job.status == Job.Status.FAILED
    assert stored_files(settings) == {job.params["file"]}

    jobs_housekeeping(now=job.finished_at + timedelta(seconds=10), force=True)
    assert stored_files(settings) == {job.params["file"]}  # within the retention

    after = job.finished_at + timedelta(seconds=settings.SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS + 1)
    assert jobs_housekeeping(now=after, force=True) == {"import": 1}
    assert stored_files(settings) == set()
    job.refresh_from_db()
    assert job.params["upload_removed"] is True


def test_an_import_that_succeeds_removes_its_upload(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    body = json.dumps(dialogue_data("ok")).encode() + b"\n"
    job = import_over_api(api, dataset_admin, body, capture=django_capture_on_commit_callbacks)

    assert job.status == Job.Status.SUCCEEDED
    assert stored_files(settings) == set()


def test_an_import_cancelled_while_pending_runs_no_import_and_keeps_its_upload_for_a_resume(
    api, dataset, dataset_admin, settings, django_capture_on_commit_callbacks
):
    api.force_authenticate(dataset_admin)
    with django_capture_on_commit_callbacks(execute=False):
        api.post(IMPORT_URL, {"file": SimpleUploadedFile("a.jsonl", b"{}\n")}, format="multipart")
    job = Job.objects.get()
    job_request_cancel(job=job)

    job_run_task(job.pk)  # the message arrives after the cancel

    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert not Dialogue.objects.exists()
    assert stored_files(settings) == {job.params["file"]}


def test_a_failed_command_line_import_leaves_no_empty_dataset(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not json\n")

    with pytest.raises(CommandError):
        call_command("import_dialogues", str(bad), "--dataset", "fresh", "--no-progress")

    assert not Dataset.objects.filter(name="fresh").exists()


def test_the_partial_file_of_a_killed_upload_is_swept_once_stale(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale, fresh = tmp_path / "tmpa.upload.jsonl", tmp_path / "tmpb.upload.jsonl"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"in flight")
    day_ago = time.time() - 2 * settings.SELFLEARN_UPLOAD_TEMP_MAX_AGE_SECONDS
    os.utime(stale, (day_ago, day_ago))

    assert upload_temp_files_sweep() == 1
    assert not stale.exists() and fresh.exists()


def test_a_patch_body_nested_100000_levels_is_a_400(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)

    response = api.generic(
        "PATCH",
        "/api/datasets/assistant-logs/",
        b'{"description": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "nested more than" in json.dumps(response.json())
    dataset.refresh_from_db()
    assert dataset.description == ""
