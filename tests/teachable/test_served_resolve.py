"""``POST .../resolve/`` served from the process's memory: a warm request reads no preference, rule or
catalogue; a preference taught, corrected or deleted, new rules and a reloaded catalogue are answered
from on the very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotations.models import Dataset
from teachable.services import catalogues_load

pytestmark = pytest.mark.django_db

BASE = "/api/datasets/assistant-logs"
ASKED = {"user_id": "u1", "intent": "sports_query", "slots": []}


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def team(client: APIClient) -> str | None:
    """The team the resolver fills in for u1's request that names none."""
    response = client.post(f"{BASE}/resolve/", ASKED, format="json")
    assert response.status_code == 200, response.content
    filled = [slot["value"] for slot in response.data["slots"] if slot["type"] == "sport_team"]
    return filled[0] if filled else None


def teach(reviewer, value: str) -> int:
    body = {"domain": "sports", "key": "team", "value": value}
    taught = _as(reviewer).post(f"{BASE}/users/u1/preferences/", body, format="json")
    assert taught.status_code == 201, taught.content
    return int(taught.data["id"])


def test_a_warm_resolve_reads_no_preference_rule_or_catalogue(people, reviewer, viewer):
    teach(reviewer, "the warriors")
    assistant = _as(viewer)
    assert team(assistant) == "Golden State Warriors"
    with CaptureQueriesContext(connection) as queries:
        assert team(assistant) == "Golden State Warriors"
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "teachable_" not in sql and len(queries) == 1, sql  # the dataset, with the person's role


def test_a_preference_taught_corrected_or_deleted_is_answered_from_the_next_request(people, reviewer, viewer):
    assistant = _as(viewer)
    assert team(assistant) is None
    taught = teach(reviewer, "the warriors")
    assert team(assistant) == "Golden State Warriors"
    body = {"domain": "sports", "key": "team", "value": "the chicago bulls"}
    corrected = _as(reviewer).put(f"{BASE}/preferences/{taught}/", body, format="json")
    assert corrected.status_code == 200
    assert team(assistant) == "Chicago Bulls"
    assert _as(reviewer).delete(f"{BASE}/preferences/{corrected.data['id']}/").status_code == 204
    assert team(assistant) is None


def test_new_rules_are_answered_from_the_next_request(people, reviewer, viewer, dataset_admin):
    teach(reviewer, "the warriors")
    assistant = _as(viewer)
    assert team(assistant) == "Golden State Warriors"
    only_food = {
        "rules": [{"intent": "order_food", "slot_type": "food_type", "domain": "food", "key": "cuisine"}]
    }
    assert _as(dataset_admin).put(f"{BASE}/resolution-rules/", only_food, format="json").status_code == 200
    assert team(assistant) is None


def test_a_catalogue_loaded_again_is_read_again_by_every_dataset(people, viewer, reviewer):
    teach(reviewer, "the warriors")
    assistant = _as(viewer)
    assert team(assistant) == "Golden State Warriors"
    before = {dataset.pk: dataset.serving_revision for dataset in Dataset.objects.all()}
    other = Dataset.objects.create(name="other-logs")
    catalogues_load(data={"planets": {"entries": [{"value": "Mars"}]}})
    after = {dataset.pk: dataset.serving_revision for dataset in Dataset.objects.all()}
    assert all(after[pk] > revision for pk, revision in before.items())
    assert after[other.pk] == 1
    assert team(assistant) == "Golden State Warriors"  # read again, and the same
