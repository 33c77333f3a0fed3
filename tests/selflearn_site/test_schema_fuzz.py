"""Schemathesis drives every operation of the project's own OpenAPI schema with generated input, valid
and malformed, as a dataset admin against a small dataset: no input may make a 5xx, and every 4xx is
a JSON object that names what is wrong (a 400 names a field; other refusals carry a ``detail``).

The schema is read from the app itself and the requests go to the WSGI app in-process, inside the
test's database transaction (no live server). New endpoints are covered as soon as the schema lists
them. The examples per operation are bounded to keep the run near a minute on two cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from accounts.services import api_token_create
from annotations.models import Dialogue, Label
from jobs.models import Job
from models_app.job_services import LABEL_JOB
from models_app.models import ModelVersion
from tests.annotations.page_helpers import make_dialogue

EXAMPLES_PER_OPERATION = 25
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none", "mode": "all"},
        "phases": {"stateful": {"enabled": False}},
    }
)
# Field names a 400 may name besides the operation's own parameters and body properties: the body
# as a whole (not JSON, not a form) and DRF's name for an error about several fields.
GENERAL_FIELDS = {"body", "non_field_errors"}


@pytest.fixture
def cast(db, dataset, dataset_admin, reviewer, viewer) -> dict:
    """The dataset with two labelled dialogues, a model version and jobs, and the admin's API key."""
    make_dialogue(dataset, "d1", ["play purple haze", "louder please"], author=reviewer)
    make_dialogue(dataset, "d2", ["what is the weather in paris"])
    Job.objects.create(kind=LABEL_JOB, status=Job.Status.FAILED, dataset=dataset, created_by=dataset_admin)
    _, key = api_token_create(user=dataset_admin, name="fuzz")
    return {
        "key": key,
        "name": dataset.name,
        "username": reviewer.username,
        "ids": {
            "dialogue": Dialogue.objects.filter(dataset=dataset).values_list("pk", flat=True).first(),
            "job": Job.objects.values_list("pk", flat=True).first(),
            "model": ModelVersion.objects.values_list("pk", flat=True).first(),
            "label": Label.objects.filter(source_type="model").values_list("pk", flat=True).first(),
        },
    }


@pytest.fixture(autouse=True)
def app_in_the_test_transaction() -> Iterator[None]:
    """The app runs in this test's transaction: as Django's test client does, the per-request
    connection cleanup is kept from closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema as the app serves it (no database is touched to serve it).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)


def _known_fields(case) -> set[str]:
    """The names of the operation's parameters and of its request bodies' properties."""
    raw = case.operation.definition.raw
    names = {parameter["name"] for parameter in raw.get("parameters", [])}
    for media in (raw.get("requestBody") or {}).get("content", {}).values():
        body_schema = media.get("schema", {})
        if "$ref" in body_schema:
            body_schema = case.operation.schema.raw_schema["components"]["schemas"][
                body_schema["$ref"].split("/")[-1]
            ]
        names |= set(body_schema.get("properties", {}))
    return names


def _pin_to_the_cast(case, cast: dict, data: st.DataObject) -> None:
    """Most examples aim at things that exist (else nearly every one is a 404 on a random name); the
    others keep their generated path, so odd names and ids are tried too."""
    targets = {"name": cast["name"], "username": cast["username"]}
    path = case.operation.path
    kinds = {
        "/dialogues/{id}": "dialogue",
        "/labels/{id}": "label",
        "/jobs/{id}": "job",
        "/models/{id}": "model",
    }
    id_kind = next((kind for part, kind in kinds.items() if part in path), "model")
    targets["id"] = cast["ids"][id_kind]
    for parameter in list(case.path_parameters or {}):
        if parameter in targets and data.draw(st.integers(0, 3), label=f"keep {parameter}") > 0:
            case.path_parameters[parameter] = targets[parameter]


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    max_examples=EXAMPLES_PER_OPERATION,
)
def test_no_input_makes_a_server_error_and_every_refusal_is_json_that_names_the_problem(case, data, cast):
    _pin_to_the_cast(case, cast, data)
    response = case.call(headers={"Authorization": f"Token {cast['key']}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    if response.status_code < 400:
        return
    body = json.loads(response.text)
    assert isinstance(body, dict), response.text
    if response.status_code == 400:
        named = {key for key in body if key != "detail"} | ({body["field"]} if "field" in body else set())
        named.discard("field")
        assert named, f"a 400 that names no field: {response.text[:300]}"
        assert named <= _known_fields(case) | GENERAL_FIELDS, f"{named} for {case.formatted_path}"
    else:
        assert "detail" in body, response.text[:300]
