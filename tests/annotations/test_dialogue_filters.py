"""The dataset page's dialogue list filtered by its labels (the API's label filters): each filter, a
bad value (a form error, never a 500), and pages read after the last dialogue shown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from annotations.label_filters import DialogueFilter, LabelFilter
from annotations.models import Dialogue, Label, LabelSource, LabelStatus, ReviewEvent, Turn
from annotations.selectors import dialogue_list
from models_app.models import ModelVersion

pytestmark = pytest.mark.django_db


def dialogue_with(dataset: Any, external_id: str, *labels: dict[str, Any]) -> Dialogue:
    """A one-turn dialogue whose turn carries these labels (a model's proposals unless told)."""
    dialogue = Dialogue.objects.create(dataset=dataset, external_id=external_id)
    turn = Turn.objects.create(dialogue=dialogue, position=0, external_id="t1", utterance="play it")
    model, _ = ModelVersion.objects.get_or_create(name="labeller-v1")
    now = timezone.now()
    for fields in labels:
        source = fields.pop("source", LabelSource.MODEL)
        Label.objects.create(
            dialogue=dialogue,
            turn=turn,
            source_type=source,
            model_version=model if source == LabelSource.MODEL else None,
            created_at=now,
            updated_at=now,
            **{"status": LabelStatus.PROPOSED, "confidence": 0.9, **fields},
        )
    return dialogue


@pytest.fixture
def listed(client, dataset, viewer):
    client.force_login(viewer)
    url = reverse("annotations:dataset-detail", args=[dataset.name])

    def listed(**params: Any) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200, response.context.get("filter_errors")
        return [dialogue.external_id for dialogue in response.context["page"].dialogues]

    return listed


@pytest.fixture
def cast(dataset):
    return {
        "music": dialogue_with(
            dataset, "music", {"kind": "intent", "value": "play_music", "confidence": 0.95}
        ),
        "weather": dialogue_with(
            dataset,
            "weather",
            {"kind": "intent", "value": "get_weather", "status": LabelStatus.CORRECTED, "confidence": 0.4},
        ),
        "asr": dialogue_with(
            dataset,
            "asr",
            {"kind": "failure_point", "value": "asr", "confidence": 0.55},
            {"kind": "defect", "value": True, "confidence": 0.8},
        ),
        "gold": dialogue_with(
            dataset,
            "gold",
            {
                "kind": "failure_point",
                "value": "none",
                "status": LabelStatus.GOLD,
                "source": "import",
                "confidence": None,
            },
            {
                "kind": "defect",
                "value": False,
                "status": LabelStatus.GOLD,
                "source": "import",
                "confidence": None,
            },
        ),
        "bare": Dialogue.objects.create(dataset=dataset, external_id="bare"),
    }


def test_without_filters_every_dialogue_is_listed(listed, cast):
    assert listed() == ["music", "weather", "asr", "gold", "bare"]


def test_it_filters_by_label_status(listed, cast):
    assert listed(status="corrected") == ["weather"]
    assert listed(status="gold") == ["gold"]
    assert listed(status="proposed") == ["music", "asr"]


def test_it_filters_by_label_kind(listed, cast):
    assert listed(kind="intent") == ["music", "weather"]
    assert listed(kind="defect") == ["asr", "gold"]


def test_it_filters_by_intent(listed, cast):
    assert listed(intent="get_weather") == ["weather"]
    assert listed(intent="no_such_intent") == []


def test_it_filters_by_failure_point(listed, cast):
    assert listed(failure_point="asr") == ["asr"]
    assert listed(failure_point="none") == ["gold"]


def test_it_filters_by_defect(listed, cast):
    assert listed(defect="yes") == ["asr"]
    assert listed(defect="no") == ["gold"]


def test_it_filters_by_confidence_range_leaving_out_labels_without_one(listed, cast):
    assert listed(confidence_min="0.5", confidence_max="0.85") == ["asr"]
    assert listed(confidence_max="0.5") == ["weather"]
    assert listed(confidence_min="0.9") == ["music"]


def test_it_filters_by_reviewer_who_decided_or_wrote_a_label(listed, cast, reviewer, dataset_admin):
    music = Label.objects.get(dialogue=cast["music"])
    ReviewEvent.objects.create(
        dialogue=cast["music"], label=music, actor=reviewer, action=ReviewEvent.Action.ACCEPT, kind="intent"
    )
    dialogue_with(
        cast["music"].dataset,
        "written",
        {
            "kind": "intent",
            "value": "stop",
            "source": LabelSource.PERSON,
            "author": reviewer,
            "status": LabelStatus.ACCEPTED,
            "confidence": None,
        },
    )
    assert listed(reviewer="rita") == ["music", "written"]
    assert listed(reviewer="rita", intent="stop") == ["written"]
    assert listed(reviewer="alice") == []


def test_status_and_confidence_apply_to_the_label_with_the_value_asked_for(listed, cast):
    assert listed(intent="get_weather", status="corrected") == ["weather"]
    assert listed(intent="get_weather", status="proposed") == []
    assert listed(intent="play_music", confidence_max="0.5") == []
    # Two values: a dialogue with both labels.
    assert listed(failure_point="asr", defect="yes") == ["asr"]
    assert listed(failure_point="asr", defect="no") == []


def test_filters_combine_with_a_search(listed, cast, dataset):
    assert listed(q="play", kind="intent") == ["music", "weather"]
    assert listed(q="nothing said", kind="intent") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"kind": "mood"}, "kind"),
        ({"failure_point": "keyboard"}, "failure_point"),
        ({"defect": "perhaps"}, "defect"),
        ({"confidence_min": "high"}, "confidence_min"),
        ({"confidence_max": "1.5"}, "confidence_max"),
        ({"confidence_min": "0.8", "confidence_max": "0.2"}, "confidence_max"),
        ({"reviewer": "nobody"}, "reviewer"),
        ({"after": "x"}, "after"),
    ],
)
def test_a_bad_filter_value_is_a_form_error_not_a_server_error(client, dataset, viewer, cast, params, field):
    client.force_login(viewer)
    response = client.get(reverse("annotations:dataset-detail", args=[dataset.name]), params)
    assert response.status_code == 400
    assert field in response.context["filter_errors"]
    html = response.content.decode()
    assert 'role="alert"' in html and "Correct the filters above" in html


def test_a_filtered_list_reads_on_after_the_last_dialogue_and_counts_no_more_than_it_shows(
    client, dataset, viewer
):
    for number in range(52):
        dialogue_with(dataset, f"p{number:02}", {"kind": "intent", "value": "play_music"})
    dialogue_with(dataset, "other", {"kind": "intent", "value": "stop"})
    client.force_login(viewer)
    url = reverse("annotations:dataset-detail", args=[dataset.name])
    first = client.get(url, {"intent": "play_music"})
    assert len(first.context["page"].dialogues) == 50
    assert "(50+ matching)" in first.content.decode()
    second = client.get(url, {"intent": "play_music", "after": first.context["page"].next_after})
    assert [d.external_id for d in second.context["page"].dialogues] == ["p50", "p51"]
    assert second.context["page"].next_after is None


def test_a_filtered_page_costs_a_fixed_number_of_queries(
    client, dataset, viewer, reviewer, cast, django_assert_num_queries
):
    client.force_login(viewer)
    url = reverse("annotations:dataset-detail", args=[dataset.name])
    params = {"status": "proposed", "intent": "play_music", "reviewer": "rita", "confidence_min": "0.1"}
    client.get(url, params)
    # session, user, dataset, kept counts and a label changed since, the reviewer, the page of
    # dialogues, the export form's model versions and members, the jobs working on the dataset; on
    # SQLite, the look at the (kind, value, dialogue) index that says whether the intent is rare
    with django_assert_num_queries(11 if connection.vendor == "sqlite" else 10):
        client.get(url, params)


def test_the_reviewer_filter_reads_the_persons_labels_by_index_not_all_labels(dataset, reviewer, cast):
    """The reviewer's own rows drive the filter. With a full author index (one entry per label, nearly
    all NULL), the planner's statistics said `author_id = ?` matched every label, and the filter scanned
    the labels table: 412 ms at 20,000 dialogues instead of 7 ms. SQLite only: PostgreSQL rightly
    reads tables of a few rows whole."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans a table of a few rows as a sequential scan")
    for number in range(40):
        dialogue_with(dataset, f"unreviewed-{number}", {"kind": "intent", "value": "play_music"})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    dialogues = dialogue_list(dataset, dialogue_filter=DialogueFilter(LabelFilter(reviewer=reviewer)))
    sql, params = dialogues.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[-1] for row in cursor.fetchall()]
    scans = [step for step in plan if re.search(r"\bSCAN\b", step)]
    assert re.search(r"\blabel_author\b", " ".join(plan))  # the partial index of people's labels
    assert scans == []
