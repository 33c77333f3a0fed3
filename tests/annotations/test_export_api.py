"""The streamed export over HTTP: every format, the same bytes as the CLI, the label filters and
``changed_since``, errors as JSON naming the parameter, and a first chunk before the whole is read."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.formats.export_formats import EXPORT_FORMATS
from annotations.formats.exporting import EXPORT_BATCH_SIZE
from annotations.models import Dialogue, Label, Turn

pytestmark = pytest.mark.django_db

URL = "/api/datasets/assistant-logs/export/"


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_each_format_streams_the_same_text_as_the_command(api, dataset, viewer, labelled, fmt, tmp_path):
    api.force_authenticate(viewer)
    response = api.get(URL + f"?format={fmt}&labels=best&kind=intent,slots")
    assert response.status_code == 200
    assert response["Content-Type"] == f"{EXPORT_FORMATS[fmt].content_type}; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="assistant-logs.{EXPORT_FORMATS[fmt].extension}"'
    )
    out = tmp_path / "export.txt"
    call_command(
        "export_dialogues", "--dataset", "assistant-logs", "--format", fmt, "--labels", "best",
        "--kind", "intent,slots", "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert body(response) == out.read_bytes().decode()


def test_jsonl_is_the_default_with_gold_labels(api, dataset, viewer, labelled):
    api.force_authenticate(viewer)
    lines = [json.loads(line) for line in body(api.get(URL)).splitlines()]
    assert [line["id"] for line in lines] == ["d1", "d2"]
    assert lines[0]["labels"]["turns"]["t1"] == {"intent": "PlayMusic"}  # the gold one; not the model's slots


def test_changed_since_pulls_only_what_changed(api, dataset, viewer, labelled):
    since = timezone.now() + timedelta(minutes=5)
    Label.objects.filter(dialogue__external_id="d2").update(updated_at=since + timedelta(seconds=1))
    api.force_authenticate(viewer)
    query = "?labels=best&changed_since=" + since.isoformat().replace("+", "%2B")
    assert [json.loads(line)["id"] for line in body(api.get(URL + query)).splitlines()] == ["d2"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),
        ("labels=silver", "labels"),
        ("labels=model:ghost", "labels"),
        ("confidence_max=2", "confidence_max"),
        ("changed_since=soon", "changed_since"),
    ],
)
def test_a_bad_parameter_is_a_json_400_naming_it_whatever_the_client_accepts(
    api, dataset, viewer, query, field
):
    api.force_authenticate(viewer)
    response = api.get(URL + "?" + query, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_the_first_chunk_comes_before_the_rest_is_read(api, dataset, viewer):
    """A dataset of three batches: the first chunk costs the queries of one batch, not of three."""
    count = EXPORT_BATCH_SIZE * 2 + 1
    dialogues = Dialogue.objects.bulk_create(
        Dialogue(dataset=dataset, external_id=f"d{number:05d}") for number in range(count)
    )
    Turn.objects.bulk_create(
        Turn(dialogue=dialogue, position=0, external_id="t1", utterance="hello") for dialogue in dialogues
    )
    api.force_authenticate(viewer)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL)
        chunks = iter(response.streaming_content)
        first = next(chunks)
        queries_for_the_first_chunk = len(queries)
        rest = b"".join(chunks)
    assert first.startswith(b'{"id":"d00000"')
    assert queries_for_the_first_chunk <= len(queries) - 6  # two more batches of three queries came later
    assert (first + rest).count(b"\n") == count
