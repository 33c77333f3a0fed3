"""The dataset API: create, list, read, change and delete datasets, their members and their
auto-accept rules."""

from __future__ import annotations

import pytest

from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelStatus, Membership, Role
from annotations.services import IMPORT_JOB
from jobs.models import Job
from review.models import Adjudication, AutoAcceptRule, DialogueReviewState
from review.services.adjudication import dataset_required_reviews_set
from review.services.decisions import review_decide
from tests.review.review_helpers import decision, label_of, make_reviewable

pytestmark = pytest.mark.django_db

URL = "/api/datasets/assistant-logs/"


def test_creating_a_dataset_makes_the_creator_its_admin(api, stranger):
    api.force_authenticate(stranger)
    response = api.post("/api/datasets/", {"name": "support-calls", "description": "calls"}, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == "admin"
    assert response.json()["dialogues"] == 0
    dataset = Dataset.objects.get(name="support-calls")
    assert Membership.objects.get(dataset=dataset).user == stranger


def test_a_taken_or_malformed_name_is_a_400_naming_the_name(api, dataset, stranger):
    api.force_authenticate(stranger)
    for name in ("assistant-logs", "a/b", "new", ""):
        response = api.post("/api/datasets/", {"name": name}, format="json")
        assert response.status_code == 400, name
        body = response.json()
        assert "name" in body or body.get("field") == "name", body
    assert Dataset.objects.count() == 1


def test_a_body_that_is_not_json_is_a_400_naming_the_body(api, stranger):
    api.force_authenticate(stranger)
    response = api.post("/api/datasets/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_the_list_shows_only_the_persons_datasets_with_counts(api, dataset, viewer, labelled):
    Dataset.objects.create(name="secret-logs")
    api.force_authenticate(viewer)
    body = api.get("/api/datasets/").json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["name"], row["role"], row["dialogues"], row["turns"]) == ("assistant-logs", "viewer", 2, 3)
    assert row["labels"]["total"] == Label.objects.count()
    assert row["labels"]["gold"] == Label.objects.filter(status="gold").count()


def test_a_page_number_past_the_end_is_a_400_naming_the_page(api, dataset, viewer):
    api.force_authenticate(viewer)
    response = api.get("/api/datasets/?page=7")
    assert response.status_code == 400
    assert "page" in response.json()


def test_an_admin_changes_the_description_and_the_reviews_needed(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.patch(URL, {"description": "support calls", "required_reviews": 3}, format="json")
    assert response.status_code == 200
    dataset.refresh_from_db()
    assert (dataset.description, dataset.required_reviews) == ("support calls", 3)
    assert response.json()["required_reviews"] == 3


def test_an_out_of_range_number_of_reviews_is_refused_and_nothing_changes(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.patch(URL, {"description": "x", "required_reviews": 0}, format="json")
    assert response.status_code == 400
    assert "required_reviews" in response.json()
    dataset.refresh_from_db()
    assert (dataset.description, dataset.required_reviews) == ("", 1)


def test_lowering_the_reviews_needed_settles_the_labels_that_now_have_enough_verdicts(
    api, dataset, dataset_admin, reviewer, make_user
):
    second = make_user("ben")
    Membership.objects.create(dataset=dataset, user=second, role=Role.REVIEWER)
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    dialogue = make_reviewable(dataset, "d1", ["play purple haze", "louder please"])
    failure = label_of(dialogue, LabelKind.FAILURE_POINT, "t2")
    for person, failure_verdict in ((reviewer, decision(failure, "accept")), (second, None)):
        labels = Label.objects.filter(dialogue=dialogue).exclude(pk=failure.pk)
        verdicts = [decision(label, "accept") for label in labels]
        verdicts.append(failure_verdict or decision(failure, "correct", "asr"))
        review_decide(dialogue=dialogue, reviewer=person, decisions=verdicts)
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    assert intent.status == LabelStatus.PROPOSED  # two verdicts of the three asked for
    assert DialogueReviewState.objects.get(dialogue=dialogue).is_open

    api.force_authenticate(dataset_admin)
    response = api.patch(URL, {"required_reviews": 2}, format="json")

    assert response.status_code == 200
    assert response.json()["required_reviews"] == 2
    assert label_of(dialogue, LabelKind.INTENT, "t1").status == LabelStatus.GOLD
    assert response.json()["labels"]["gold"] == Label.objects.filter(status=LabelStatus.GOLD).count() > 1
    # The two verdicts on the failure point disagree: it waits for an admin instead.
    assert Adjudication.objects.get().label_id == failure.pk
    state = DialogueReviewState.objects.get(dialogue=dialogue)
    assert (state.is_open, state.awaiting) == (False, 0)


def test_deleting_a_dataset_takes_everything_in_it(api, dataset, dataset_admin, labelled):
    Job.objects.create(kind=IMPORT_JOB, dataset=dataset)
    other = Dataset.objects.create(name="other")
    api.force_authenticate(dataset_admin)
    assert api.delete(URL).status_code == 204
    assert list(Dataset.objects.all()) == [other]
    assert not Dialogue.objects.exists() and not Label.objects.exists() and not Job.objects.exists()
    assert api.get(URL).status_code == 404


def test_a_reviewer_may_not_delete_the_dataset(api, dataset, reviewer):
    api.force_authenticate(reviewer)
    assert api.delete(URL).status_code == 403
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_a_name_with_a_nul_character_is_a_404_not_a_database_error(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    assert api.get("/api/datasets/assistant%00logs/").status_code == 404


def test_an_admin_adds_changes_and_removes_members(api, dataset, dataset_admin, stranger, reviewer):
    api.force_authenticate(dataset_admin)
    added = api.post(URL + "members/", {"username": "sam", "role": "viewer"}, format="json")
    assert added.status_code == 201
    assert added.json() == {"username": "sam", "role": "viewer"}
    changed = api.patch(URL + "members/sam/", {"role": "reviewer"}, format="json")
    assert changed.json() == {"username": "sam", "role": "reviewer"}
    assert api.delete(URL + "members/rita/").status_code == 204
    listed = api.get(URL + "members/").json()
    assert listed == [{"username": "alice", "role": "admin"}, {"username": "sam", "role": "reviewer"}]


def test_adding_an_unknown_person_is_a_400_naming_the_username(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.post(URL + "members/", {"username": "nobody", "role": "viewer"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "username"


def test_the_last_admin_cannot_step_down_or_leave_and_the_answer_is_a_conflict(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    demoted = api.patch(URL + "members/alice/", {"role": "viewer"}, format="json")
    assert demoted.status_code == 409
    assert "admin" in demoted.json()["detail"]
    assert api.delete(URL + "members/alice/").status_code == 409
    assert Membership.objects.get(user=dataset_admin).role == Role.ADMIN


def test_a_person_who_is_not_a_member_is_a_404_in_the_member_url(api, dataset, dataset_admin, stranger):
    api.force_authenticate(dataset_admin)
    assert api.patch(URL + "members/sam/", {"role": "viewer"}, format="json").status_code == 404


def test_an_admin_sets_and_clears_auto_accept_thresholds(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.patch(URL + "auto-accept/", {"intent": 0.9, "slots": 0.8}, format="json")
    assert response.status_code == 200
    assert (response.json()["intent"], response.json()["slots"], response.json()["defect"]) == (
        0.9,
        0.8,
        None,
    )
    cleared = api.patch(URL + "auto-accept/", {"slots": None}, format="json").json()
    assert (cleared["intent"], cleared["slots"]) == (0.9, None)
    assert list(AutoAcceptRule.objects.values_list("kind", "threshold")) == [("intent", 0.9)]


def test_a_threshold_outside_zero_to_one_is_a_400_naming_the_kind(api, dataset, dataset_admin):
    api.force_authenticate(dataset_admin)
    response = api.patch(URL + "auto-accept/", {"intent": 1.5}, format="json")
    assert response.status_code == 400
    assert "intent" in response.json()
    assert not AutoAcceptRule.objects.exists()
