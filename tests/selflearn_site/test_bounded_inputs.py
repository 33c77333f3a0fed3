"""Every free-text field a client sends is bounded, and a body too large for an operation is refused
in the API's JSON error format (413), never with Django's HTML page or after megabytes were parsed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from annotations.models import DATASET_DESCRIPTION_MAX_LENGTH, Dataset, Label
from review.rules import MAX_VALUE_LENGTH

pytestmark = pytest.mark.django_db

# JSON of any shape, where the schema cannot say more: each is bounded where it is validated.
BOUNDED_ELSEWHERE = {
    # review.rules.validate_value: at most MAX_VALUE_LENGTH characters as JSON (and the kind's rules).
    "POST /api/datasets/{name}/review/dialogues/{id}/labels/ value",
    "POST /api/datasets/{name}/review/labels/{id}/decision/ value",
}


def _unbounded(
    schema: dict[str, Any], node: dict[str, Any], where: str, seen: frozenset[str]
) -> Iterator[str]:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _unbounded(schema, schema["components"]["schemas"][name], where, seen | {name})
        return
    for part in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
        yield from _unbounded(schema, part, where, seen)
    kind = node.get("type")
    if kind == "string" and not ({"maxLength", "enum", "format"} & set(node)):
        yield f"{where} (a string with no maxLength)"
    elif kind == "array":
        if "maxItems" not in node:
            yield f"{where} (an array with no maxItems)"
        yield from _unbounded(schema, node.get("items", {}), f"{where}[]", seen)
    elif kind == "object" or "properties" in node:
        for name, child in node.get("properties", {}).items():
            yield from _unbounded(schema, child, f"{where} {name}".replace("  ", " "), seen)
        extra = node.get("additionalProperties")
        if extra is True or extra == {}:
            yield f"{where} (an object of any keys)"
    elif not kind and not {"allOf", "oneOf", "anyOf", "enum"} & set(node) and where not in BOUNDED_ELSEWHERE:
        yield f"{where} (any JSON)"


def test_every_field_of_every_request_body_is_bounded():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    unbounded = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            body = content.get("application/json") or next(iter(content.values()), None)
            if body is not None:
                unbounded += _unbounded(schema, body["schema"], f"{method.upper()} {path} ", frozenset())

    assert unbounded == []


def test_a_body_over_the_servers_limit_is_a_json_413_on_the_api(api, dataset, dataset_admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    api.force_authenticate(dataset_admin)
    body = json.dumps({"description": "x" * 200_000})

    response = api.patch(f"/api/datasets/{dataset.name}/", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["field"] == "body"
    assert "100,000 bytes" in response.json()["detail"]


def test_a_device_of_megabytes_is_refused_before_it_is_parsed(api, dataset, viewer):
    api.force_authenticate(viewer)
    body = {"utterance": "play jazz", "device": {"type": "speaker", "state": {"junk": "x" * 1_000_000}}}

    response = api.post(f"/api/datasets/{dataset.name}/rewrite/", body, format="json")

    assert response.status_code == 413
    assert response.json()["field"] == "body"


def test_a_long_device_type_is_refused_naming_the_field(api, dataset, viewer):
    api.force_authenticate(viewer)
    body = {"utterance": "play jazz", "device": {"type": "x" * 65, "has_screen": True}}

    response = api.post(f"/api/datasets/{dataset.name}/rewrite/", body, format="json")

    assert response.status_code == 400
    assert "type" in response.json()["device"]


def test_a_description_past_its_bound_is_refused_in_the_api_and_on_the_page(
    api, client, dataset, dataset_admin
):
    too_long = "x" * (DATASET_DESCRIPTION_MAX_LENGTH + 1)
    api.force_authenticate(dataset_admin)

    created = api.post("/api/datasets/", {"name": "fresh", "description": too_long}, format="json")
    changed = api.patch(f"/api/datasets/{dataset.name}/", {"description": too_long}, format="json")
    client.force_login(dataset_admin)
    page = client.post(reverse("annotations:dataset-create"), {"name": "fresh", "description": too_long})

    assert (created.status_code, changed.status_code, page.status_code) == (400, 400, 200)
    assert "description" in created.json() and "description" in changed.json()
    assert "description" in page.context["form"].errors
    assert not Dataset.objects.filter(name="fresh").exists()
    assert Dataset.objects.get(pk=dataset.pk).description == ""


def test_a_label_value_past_its_bound_is_refused_naming_the_field(api, dataset, labelled, reviewer):
    api.force_authenticate(reviewer)
    url = f"/api/datasets/{dataset.name}/review/dialogues/{labelled[0].pk}/labels/"

    response = api.post(
        url, {"kind": "rewrite", "turn": "t1", "value": "x" * MAX_VALUE_LENGTH}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "value"
    assert not Label.objects.filter(kind="rewrite").exists()
