"""Every API operation against every role: allowed at or above the operation's role, 403 for a member
below it, 404 for a stranger (a dataset they do not belong to does not exist for them), 401 without
credentials. An allowed answer in JSON has the shape the OpenAPI schema documents for it, so the docs
cannot drift from the code.

The table is the matrix. A new endpoint gets a row (``test_every_operation_of_the_schema_has_a_row``
fails until it has one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from annotations.models import Dialogue, Label, LabelKind, LabelSource, Role
from annotations.services import IMPORT_JOB
from jobs.models import Job
from models_app.job_services import LABEL_JOB
from models_app.models import ModelVersion
from review.services.decisions import DecisionInput, review_decide
from rewrites.models import RewriteBlock, RewritePair
from teachable.models import QuestionSet, TeachableMoment
from teachable.services import (
    PreferenceInput,
    guided_session_start,
    preference_learn,
    teachable_dataset_prepare,
)
from tests.factories import dialogue as dialogue_data

pytestmark = pytest.mark.django_db

ANYONE, SIGNED_IN = "anyone", "signed in"
# Ranks of the people: a row's minimum is one of these.
RANK = {"stranger": 0, Role.VIEWER: 1, Role.REVIEWER: 2, Role.ADMIN: 3}
PEOPLE = ("anonymous", "stranger", Role.VIEWER, Role.REVIEWER, Role.ADMIN)


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in the schema: {name} is the dataset, {id} the object named by ``target``
    minimum: str  # ANYONE, SIGNED_IN, or the dataset role it needs
    allowed: int  # the status when allowed
    body: dict[str, Any] = field(default_factory=dict)
    target: str = ""  # what {id} is: dialogue, label, job, failed_job, model; "{label}" in a body too
    multipart: bool = False
    # Something the person did first: "a decision" (a model's proposal accepted through the service).
    before: str = ""

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


MATRIX = [
    Row("GET", "/api/datasets/", SIGNED_IN, 200),
    Row("POST", "/api/datasets/", SIGNED_IN, 201, {"name": "fresh"}),
    Row("GET", "/api/datasets/{name}/", Role.VIEWER, 200),
    Row("PATCH", "/api/datasets/{name}/", Role.ADMIN, 200, {"description": "calls"}),
    Row("DELETE", "/api/datasets/{name}/", Role.ADMIN, 204),
    Row("GET", "/api/datasets/{name}/members/", Role.VIEWER, 200),
    Row("POST", "/api/datasets/{name}/members/", Role.ADMIN, 201, {"username": "sam", "role": "viewer"}),
    Row("PATCH", "/api/datasets/{name}/members/{username}/", Role.ADMIN, 200, {"role": "viewer"}),
    Row("DELETE", "/api/datasets/{name}/members/{username}/", Role.ADMIN, 204),
    Row("GET", "/api/datasets/{name}/auto-accept/", Role.ADMIN, 200),
    Row("PATCH", "/api/datasets/{name}/auto-accept/", Role.ADMIN, 200, {"intent": 0.9}),
    Row("POST", "/api/datasets/{name}/imports/", Role.ADMIN, 202, multipart=True),
    Row("GET", "/api/datasets/{name}/dialogues/", Role.VIEWER, 200),
    Row("GET", "/api/datasets/{name}/dialogues/{id}/", Role.VIEWER, 200, target="dialogue"),
    Row("GET", "/api/datasets/{name}/labels/", Role.VIEWER, 200),
    Row("GET", "/api/datasets/{name}/export/", Role.VIEWER, 200),
    # Reviewing: reviewers and admins; a viewer reads the dataset but neither decides nor holds dialogues.
    Row("POST", "/api/datasets/{name}/review/next/", Role.REVIEWER, 200),
    Row("GET", "/api/datasets/{name}/review/dialogues/{id}/", Role.REVIEWER, 200, target="dialogue"),
    Row(
        "POST",
        "/api/datasets/{name}/review/dialogues/{id}/accept-all/",
        Role.REVIEWER,
        200,
        {"labels": [{"id": "{label}", "revision": 1}]},
        target="dialogue",
    ),
    Row(
        "POST",
        "/api/datasets/{name}/review/dialogues/{id}/labels/",
        Role.REVIEWER,
        201,
        {"kind": "failure_point", "turn": "t1", "value": "none"},
        target="dialogue",
    ),
    # Everyone has a decision to take back, so a refusal is the role's (a viewer may have reviewed
    # before being made a viewer), never "nothing to undo".
    Row(
        "POST",
        "/api/datasets/{name}/review/dialogues/{id}/undo/",
        Role.REVIEWER,
        200,
        target="dialogue",
        before="a decision",
    ),
    Row(
        "POST",
        "/api/datasets/{name}/review/labels/{id}/decision/",
        Role.REVIEWER,
        200,
        {"action": "accept", "revision": 1},
        target="label",
    ),
    Row("POST", "/api/datasets/{name}/labelling-jobs/", Role.REVIEWER, 202, {"model": "labeller-v1"}),
    Row("POST", "/api/datasets/{name}/training-jobs/", Role.ADMIN, 202, {"name": "new-model"}),
    Row("POST", "/api/datasets/{name}/evaluation-jobs/", Role.REVIEWER, 202, {"model": "labeller-v1"}),
    Row("GET", "/api/jobs/", SIGNED_IN, 200),
    Row("GET", "/api/jobs/{id}/", Role.VIEWER, 200, target="job"),
    # Cancel and retry: whoever started the job, or an admin of its dataset (nobody started these).
    Row("POST", "/api/jobs/{id}/cancel/", Role.ADMIN, 200, target="job"),
    Row("POST", "/api/jobs/{id}/retry/", Role.ADMIN, 200, target="failed_job"),
    Row("POST", "/api/jobs/{id}/resume/", Role.ADMIN, 200, target="failed_job"),
    # Teaching: viewers read, reviewers teach, admins edit question sets and rules and forget people.
    Row(
        "POST",
        "/api/datasets/{name}/resolve/",
        Role.VIEWER,
        200,
        {"user_id": "u1", "intent": "weather_query"},
    ),
    Row("GET", "/api/datasets/{name}/users/", Role.VIEWER, 200),
    Row("GET", "/api/datasets/{name}/users/{user_id}/", Role.VIEWER, 200),
    Row("DELETE", "/api/datasets/{name}/users/{user_id}/", Role.ADMIN, 200),
    Row("GET", "/api/datasets/{name}/users/{user_id}/preferences/", Role.VIEWER, 200),
    Row(
        "POST",
        "/api/datasets/{name}/users/{user_id}/preferences/",
        Role.REVIEWER,
        201,
        {"domain": "music", "key": "genre", "value": "jazz"},
    ),
    Row("GET", "/api/datasets/{name}/users/{user_id}/moments/", Role.VIEWER, 200),
    Row(
        "PUT",
        "/api/datasets/{name}/preferences/{id}/",
        Role.REVIEWER,
        200,
        {"domain": "sports", "key": "team", "value": "the bulls"},
        target="preference",
    ),
    Row("DELETE", "/api/datasets/{name}/preferences/{id}/", Role.REVIEWER, 204, target="preference"),
    Row("POST", "/api/datasets/{name}/preferences/learn-from-labels/", Role.REVIEWER, 200),
    Row("POST", "/api/datasets/{name}/moments/find/", Role.REVIEWER, 202),
    Row(
        "POST",
        "/api/datasets/{name}/moments/{id}/decision/",
        Role.REVIEWER,
        200,
        {"action": "dismiss"},
        target="moment",
    ),
    Row("GET", "/api/datasets/{name}/question-sets/", Role.VIEWER, 200),
    Row("GET", "/api/datasets/{name}/question-sets/{set_name}/", Role.VIEWER, 200),
    Row(
        "PUT",
        "/api/datasets/{name}/question-sets/{set_name}/",
        Role.ADMIN,
        200,
        {"domain": "music", "questions": [{"key": "genre", "text": "What music?", "catalogue": "genre"}]},
    ),
    Row("POST", "/api/datasets/{name}/guided-sessions/", Role.REVIEWER, 201, {"user_id": "u1"}),
    Row("GET", "/api/datasets/{name}/guided-sessions/{id}/", Role.VIEWER, 200, target="session"),
    Row(
        "POST",
        "/api/datasets/{name}/guided-sessions/{id}/answer/",
        Role.REVIEWER,
        200,
        {"answer": "the warriors"},
        target="session",
    ),
    Row("POST", "/api/datasets/{name}/guided-sessions/{id}/stop/", Role.REVIEWER, 200, target="session"),
    Row("GET", "/api/datasets/{name}/resolution-rules/", Role.VIEWER, 200),
    Row(
        "PUT",
        "/api/datasets/{name}/resolution-rules/",
        Role.ADMIN,
        200,
        {
            "rules": [
                {"intent": "weather_query", "slot_type": "place_name", "domain": "weather", "key": "city"}
            ]
        },
    ),
    # Rewrites: viewers read and ask, reviewers decide pairs and block utterances, admins mine.
    Row("POST", "/api/datasets/{name}/rewrite/", Role.VIEWER, 200, {"utterance": "play purple rain"}),
    Row("POST", "/api/datasets/{name}/rewrites/mine/", Role.ADMIN, 202, {"min_support": 1}),
    Row("POST", "/api/datasets/{name}/rewrites/build/", Role.ADMIN, 202),
    Row("GET", "/api/datasets/{name}/rewrites/pairs/", Role.VIEWER, 200),
    Row("GET", "/api/datasets/{name}/rewrites/pairs/export/", Role.VIEWER, 200),
    Row(
        "POST",
        "/api/datasets/{name}/rewrites/pairs/{id}/decision/",
        Role.REVIEWER,
        200,
        {"action": "accept"},
        target="pair",
    ),
    Row("GET", "/api/datasets/{name}/rewrites/blocked/", Role.VIEWER, 200),
    Row("POST", "/api/datasets/{name}/rewrites/blocked/", Role.REVIEWER, 201, {"utterance": "stop"}),
    Row("DELETE", "/api/datasets/{name}/rewrites/blocked/{id}/", Role.REVIEWER, 204, target="block"),
    Row("GET", "/api/models/", SIGNED_IN, 200),
    Row("GET", "/api/models/{id}/", SIGNED_IN, 200, target="model"),
    Row("GET", "/api/schema/", ANYONE, 200),
    Row("GET", "/api/docs/", ANYONE, 200),
]


def expected_status(row: Row, person: str) -> int:
    if row.minimum == ANYONE:
        return row.allowed
    if person == "anonymous":
        return 401
    if row.minimum == SIGNED_IN:
        return row.allowed
    if person == "stranger":
        return 404
    return row.allowed if RANK[person] >= RANK[row.minimum] else 403


@pytest.fixture
def world(dataset, dataset_admin, reviewer, viewer, stranger, labelled) -> dict[str, Any]:
    pending = Job.objects.create(kind=IMPORT_JOB, dataset=dataset)
    failed = Job.objects.create(kind=LABEL_JOB, status=Job.Status.FAILED, dataset=dataset)
    dialogue = Dialogue.objects.filter(dataset=dataset).order_by("pk").first()
    # The model's slots proposal on the first turn: open for review, at revision 1.
    proposal = Label.objects.get(
        dialogue=dialogue, kind=LabelKind.SLOTS, source_type=LabelSource.MODEL, turn__external_id="t1"
    )
    # Teaching: the defaults, one preference, one guided session and one teachable moment of "u1".
    teachable_dataset_prepare(dataset=dataset)
    preference = preference_learn(
        dataset=dataset, user_key="u1", data=PreferenceInput("sports", "team", "the warriors")
    )
    session = guided_session_start(
        dataset=dataset, user_key="u1", question_set=QuestionSet.objects.get(dataset=dataset)
    )
    moment = TeachableMoment.objects.create(
        dataset=dataset,
        user_key="u1",
        turn=dialogue.turns.get(external_id="t1"),
        kind=TeachableMoment.Kind.BARGE_IN,
        domain="weather",
        key="city",
        question="Which city should I use?",
    )
    pair = RewritePair.objects.create(
        dataset=dataset,
        source="play purple rain",
        target="play purple haze",
        proposed_target="play purple haze",
        probability=0.8,
        support=3,
        users=2,
    )
    block = RewriteBlock.objects.create(dataset=dataset, utterance="never rewrite this")
    return {
        "people": {
            "stranger": stranger,
            Role.VIEWER: viewer,
            Role.REVIEWER: reviewer,
            Role.ADMIN: dataset_admin,
        },
        "ids": {
            "dialogue": dialogue.pk,
            "label": proposal.pk,
            "job": pending.pk,
            "failed_job": failed.pk,
            "model": ModelVersion.objects.get(name="labeller-v1").pk,
            "preference": preference.pk,
            "session": session.pk,
            "moment": moment.pk,
            "pair": pair.pk,
            "block": block.pk,
        },
        "name": dataset.name,
        "username": reviewer.username,
    }


def prepare(row: Row, world: dict[str, Any], person: str) -> None:
    if row.before == "a decision" and person not in ("anonymous", "stranger"):
        label = Label.objects.select_related("dialogue__dataset").get(pk=world["ids"]["label"])
        review_decide(
            dialogue=label.dialogue,
            reviewer=world["people"][person],
            decisions=[DecisionInput(label.pk, "accept", label.revision)],
        )


def _filled(body: Any, ids: dict[str, int]) -> Any:
    """The body with each "{label}" (or other target) replaced by that object's id."""
    if isinstance(body, dict):
        return {key: _filled(value, ids) for key, value in body.items()}
    if isinstance(body, list):
        return [_filled(value, ids) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.strip("{}") in ids:
        return ids[body.strip("{}")]
    return body


def request(api, row: Row, world: dict[str, Any]):
    path = row.path.replace("{name}", world["name"]).replace("{username}", world["username"])
    path = path.replace("{user_id}", "u1").replace("{set_name}", "learn-my-preferences")
    if row.target:
        path = path.replace("{id}", str(world["ids"][row.target]))
    if row.multipart:
        upload = SimpleUploadedFile("logs.jsonl", (json.dumps(dialogue_data("new")) + "\n").encode())
        return getattr(api, row.method.lower())(path, {"file": upload}, format="multipart")
    return getattr(api, row.method.lower())(path, _filled(row.body, world["ids"]) or None, format="json")


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("row", MATRIX, ids=str)
def test_each_role_is_allowed_or_refused_as_the_matrix_says(api, world, row, person):
    prepare(row, world, person)
    if person != "anonymous":
        api.force_authenticate(world["people"][person])
    response = request(api, row, world)
    expected = expected_status(row, person)
    assert response.status_code == expected, (str(row), person, getattr(response, "data", None))
    if expected in (401, 403, 404):
        assert "detail" in response.json()


@pytest.fixture(scope="module")
def documented() -> schemathesis.BaseSchema:
    """The schema as /api/schema/ serves it."""
    spec = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(spec)))


@pytest.mark.parametrize("row", [row for row in MATRIX if row.minimum != ANYONE], ids=str)
def test_an_allowed_answer_has_the_shape_the_schema_documents(api, world, documented, row):
    prepare(row, world, Role.ADMIN)
    api.force_authenticate(world["people"][Role.ADMIN])
    response = request(api, row, world)
    assert response.status_code == row.allowed
    if not response.get("Content-Type", "").startswith("application/json"):
        return  # the export streams its files; a 204 has no body
    answer = schemathesis.Response(
        status_code=response.status_code,
        headers={name.lower(): [value] for name, value in response.headers.items()},
        content=response.content,
        request=requests.Request(row.method, f"http://testserver{row.path}").prepare(),
        elapsed=0.0,
        verify=True,
    )
    documented[row.path][row.method].validate_response(answer)


def test_every_operation_of_the_schema_has_a_row():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    rows = {(row.method, row.path) for row in MATRIX}
    missing = operations - rows
    assert not missing, f"add a row to MATRIX for each of {sorted(missing)}"
    assert {("GET", reverse("api-schema")), ("GET", reverse("api-docs"))} <= rows
