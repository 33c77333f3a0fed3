"""Reading a dataset through the API: dialogues a cursor page at a time, a dialogue with every label,
and labels filtered by kind, status, source or model, confidence, reviewer and time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Label, LabelKind, LabelStatus, ReviewEvent
from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db

URL = "/api/datasets/assistant-logs/"


def all_pages(api, url: str) -> list[dict]:
    rows = []
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


def test_dialogues_come_a_cursor_page_at_a_time_in_import_order(api, dataset, viewer):
    for number in range(5):
        make_dialogue(dataset, f"d{number}", [f"utterance {number}"], with_labels=False)
    api.force_authenticate(viewer)
    first = api.get(URL + "dialogues/?page_size=2").json()
    assert [row["external_id"] for row in first["results"]] == ["d0", "d1"]
    rows = all_pages(api, URL + "dialogues/?page_size=2")
    assert [row["external_id"] for row in rows] == ["d0", "d1", "d2", "d3", "d4"]
    assert rows[0]["turns"] == 1 and rows[0]["first_utterance"] == "utterance 0"


def test_a_forged_cursor_is_a_400_naming_the_cursor(api, dataset, viewer):
    api.force_authenticate(viewer)
    for cursor in ("zzz", "cD1hYmM="):  # not base64 of a cursor; a cursor whose position is "abc"
        response = api.get(URL + f"dialogues/?cursor={cursor}")
        assert response.status_code == 400, cursor
        assert "cursor" in response.json()


def test_dialogues_filter_by_utterance_id_speaker_and_change_time(api, dataset, viewer, labelled):
    make_dialogue(dataset, "d3", ["set an alarm"], with_labels=False, user_key="u9")
    api.force_authenticate(viewer)

    def ids(query: str) -> list[str]:
        return [row["external_id"] for row in all_pages(api, URL + "dialogues/?" + query)]

    assert ids("q=WEATHER") == ["d2"]
    assert ids("external_id=d1") == ["d1"]
    assert ids("user_id=u9") == ["d3"]
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert ids("changed_since=" + later.replace("+", "%2B")) == []
    Label.objects.filter(dialogue__external_id="d2").update(updated_at=timezone.now() + timedelta(hours=2))
    assert ids("changed_since=" + later.replace("+", "%2B")) == ["d2"]


def test_a_dialogue_comes_with_its_turns_and_every_label_on_them(api, dataset, viewer, labelled):
    api.force_authenticate(viewer)
    body = api.get(URL + f"dialogues/{labelled[0].pk}/").json()
    assert body["external_id"] == "d1"
    assert [turn["id"] for turn in body["turns"]] == ["t1", "t2"]
    kinds = sorted(label["kind"] for label in body["turns"][0]["labels"])
    assert kinds == ["defect", "goal_success", "intent", "slots"]
    slots = next(label for label in body["turns"][0]["labels"] if label["kind"] == "slots")
    assert (slots["source"], slots["model"], slots["confidence"], slots["status"]) == (
        "model",
        "labeller-v1",
        0.7,
        "proposed",
    )
    assert [label["kind"] for label in body["labels"]] == ["goal_segments"]


def test_a_dialogue_of_another_dataset_is_a_404(api, dataset, viewer, labelled):
    from annotations.models import Dataset

    other = Dataset.objects.create(name="other")
    foreign = make_dialogue(other, "x1", ["hello"])
    api.force_authenticate(viewer)
    assert api.get(URL + f"dialogues/{foreign.pk}/").status_code == 404


def labels(api, query: str = "") -> list[dict]:
    return all_pages(api, URL + "labels/?" + query)


def test_labels_filter_by_kind_status_and_source(api, dataset, viewer, labelled):
    api.force_authenticate(viewer)
    assert {row["kind"] for row in labels(api, "kind=intent,slots")} == {"intent", "slots"}
    assert {row["kind"] for row in labels(api, "kind=intent&kind=defect")} == {"intent", "defect"}
    assert {row["status"] for row in labels(api, "status=proposed")} == {"proposed"}
    assert len(labels(api, "source=model")) == Label.objects.filter(source_type="model").count() == 3
    assert len(labels(api, "model=labeller-v1")) == 3
    assert len(labels(api)) == Label.objects.count()


def test_labels_filter_by_confidence_range_leaving_out_labels_without_one(api, dataset, viewer, labelled):
    sure = Label.objects.filter(kind=LabelKind.SLOTS).first()
    Label.objects.filter(pk=sure.pk).update(confidence=0.95)
    api.force_authenticate(viewer)
    assert [row["confidence"] for row in labels(api, "confidence_min=0.9")] == [0.95]
    assert sorted(row["confidence"] for row in labels(api, "confidence_max=0.8")) == [0.7, 0.7]
    assert len(labels(api, "confidence_min=0&confidence_max=1")) == 3


def test_labels_filter_by_reviewer_who_wrote_or_decided_them(api, dataset, viewer, reviewer, labelled):
    decided = Label.objects.filter(kind=LabelKind.SLOTS).first()
    ReviewEvent.objects.create(
        dialogue=decided.dialogue, label=decided, actor=reviewer, action="accept", kind="slots"
    )
    api.force_authenticate(viewer)
    rows = labels(api, "reviewer=rita")
    # The defect labels the reviewer wrote, and the slots label they accepted.
    assert sorted(row["kind"] for row in rows) == ["defect", "defect", "defect", "slots"]
    assert labels(api, "reviewer=victor") == []


def test_labels_changed_since_a_time(api, dataset, viewer, labelled):
    soon = timezone.now() + timedelta(minutes=5)
    changed = Label.objects.filter(status=LabelStatus.PROPOSED).first()
    Label.objects.filter(pk=changed.pk).update(updated_at=soon + timedelta(minutes=1))
    api.force_authenticate(viewer)
    rows = labels(api, "changed_since=" + soon.isoformat().replace("+", "%2B"))
    assert [row["id"] for row in rows] == [changed.pk]
    assert rows[0]["revision"] == 1 and rows[0]["dialogue_external_id"] == changed.dialogue.external_id


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("confidence_min=abc", "confidence_min"),
        ("confidence_min=1.5", "confidence_min"),
        ("confidence_min=0.9&confidence_max=0.1", "confidence_max"),
        ("kind=colour", "kind"),
        ("status=maybe", "status"),
        ("source=oracle", "source"),
        ("model=no-such-model", "model"),
        ("reviewer=nobody", "reviewer"),
        ("changed_since=yesterday", "changed_since"),
        ("source=import&model=labeller-v1", "source"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, dataset, viewer, labelled, query, field):
    api.force_authenticate(viewer)
    response = api.get(URL + "labels/?" + query)
    assert response.status_code == 400
    assert field in response.json()
