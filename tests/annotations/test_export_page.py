"""Export from the browser: the dataset page's download streams what the API's export streams, for
every member, viewers included, and a bad filter says what is wrong on the page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialogues(dataset):
    return [make_dialogue(dataset, f"d{i}", ["play purple haze", "louder"]) for i in range(3)]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_viewer_downloads_the_same_bytes_as_the_api_sends(client, dataset, viewer, dialogues):
    query = {"format": "csv", "labels": "gold", "kind": ["intent", "slots"], "confidence_min": ""}
    client.force_login(viewer)
    page = client.get(reverse("annotations:dataset-export", args=[dataset.name]), query)
    api = APIClient()
    api.force_authenticate(viewer)
    from_api = api.get(f"/api/datasets/{dataset.name}/export/?format=csv&labels=gold&kind=intent,slots")
    assert page.status_code == 200 and page.streaming
    assert page["Content-Disposition"] == f'attachment; filename="{dataset.name}.csv"'
    sent = _body(from_api)
    assert _body(page) == sent and b"d2" in sent


def test_the_dataset_page_offers_the_export_form_to_a_viewer(client, dataset, viewer, dialogues):
    client.force_login(viewer)
    html = client.get(reverse("annotations:dataset-detail", args=[dataset.name])).content.decode()
    assert f'action="{reverse("annotations:dataset-export", args=[dataset.name])}"' in html
    for name in ('name="format"', 'name="labels"', 'name="kind"', 'name="status"', 'name="reviewer"'):
        assert name in html


def test_a_bad_filter_is_shown_on_the_page_and_nothing_is_downloaded(client, dataset, viewer, dialogues):
    client.force_login(viewer)
    response = client.get(
        reverse("annotations:dataset-export", args=[dataset.name]),
        {"format": "jsonl", "confidence_min": "0.9", "confidence_max": "0.2"},
    )
    assert response.status_code == 400 and not response.streaming
    assert "is below confidence_min" in response.content.decode()


def test_a_stranger_cannot_export(client, dataset, stranger, dialogues):
    client.force_login(stranger)
    assert client.get(reverse("annotations:dataset-export", args=[dataset.name])).status_code == 404
