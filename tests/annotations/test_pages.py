"""The dataset pages: who sees what, search, the dialogue page and its query budget, uploads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations.formats.importing import ImportSource, import_dialogues
from annotations.models import Dataset, Dialogue, Label, Membership, Role
from annotations.selectors import datasets_changed_since_counted
from annotations.services import IMPORT_JOB, dataset_stats_refresh
from jobs.models import Job
from tests.annotations.page_helpers import make_dialogue
from tests.factories import dialogue as dialogue_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialogues(dataset, dataset_admin):
    return [
        make_dialogue(
            dataset, "d1", ["play purple haze", "play purple haze by jimi hendrix"], author=dataset_admin
        ),
        make_dialogue(dataset, "d2", ["what's the weather", "Weather in Paris please", "thanks"]),
        make_dialogue(dataset, "d3", ["set a timer for ten minutes"], with_labels=False),
    ]


def page_urls(dataset: Dataset, dialogue: Dialogue, job: Job) -> list[str]:
    return [
        reverse("annotations:dataset-list"),
        reverse("annotations:dataset-create"),
        reverse("annotations:dataset-detail", args=[dataset.name]),
        reverse("annotations:dataset-import", args=[dataset.name]),
        reverse("annotations:dataset-members", args=[dataset.name]),
        reverse("annotations:dialogue-detail", args=[dataset.name, dialogue.external_id]),
        reverse("jobs:job-list"),
        reverse("jobs:job-detail", args=[job.pk]),
        reverse("jobs:job-status", args=[job.pk]),
    ]


def test_login_is_required_for_every_page(client, dataset, dialogues):
    job = Job.objects.create(kind=IMPORT_JOB, dataset=dataset)
    for url in page_urls(dataset, dialogues[0], job):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_login_page_renders_and_logs_in(client, dataset_admin):
    assert b'name="password"' in client.get(reverse("login")).content
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:dataset-list")


def test_every_page_renders_for_the_dataset_admin(client, dataset, dataset_admin, dialogues):
    job = Job.objects.create(kind=IMPORT_JOB, dataset=dataset, created_by=dataset_admin)
    client.force_login(dataset_admin)
    for url in page_urls(dataset, dialogues[0], job):
        assert client.get(url).status_code == 200, url


def test_stranger_gets_404_for_a_dataset(client, dataset, stranger, dialogues):
    client.force_login(stranger)
    for url in [
        reverse("annotations:dataset-detail", args=[dataset.name]),
        reverse("annotations:dataset-import", args=[dataset.name]),
        reverse("annotations:dataset-members", args=[dataset.name]),
        reverse("annotations:dialogue-detail", args=[dataset.name, dialogues[0].external_id]),
    ]:
        assert client.get(url).status_code == 404, url


def test_a_missing_dataset_is_also_404(client, stranger):
    client.force_login(stranger)
    assert client.get(reverse("annotations:dataset-detail", args=["no-such-thing"])).status_code == 404


def test_a_dialogue_of_another_dataset_is_404(client, dataset, dataset_admin, make_user):
    other = Dataset.objects.create(name="other")
    foreign = make_dialogue(other, "x1", ["hello"], with_labels=False)
    client.force_login(dataset_admin)
    url = reverse("annotations:dialogue-detail", args=[dataset.name, foreign.external_id])
    assert client.get(url).status_code == 404


def test_a_dialogue_page_answers_to_the_dialogues_own_id_whatever_it_holds(client, dataset, viewer):
    make_dialogue(dataset, "sim-7-000002", ["play jazz"], with_labels=False)
    make_dialogue(dataset, "calls/2024/17 50%", ["what's the weather"], with_labels=False)
    client.force_login(viewer)
    assert client.get(f"/datasets/{dataset.name}/dialogues/sim-7-000002/").status_code == 200
    listing = client.get(reverse("annotations:dataset-detail", args=[dataset.name])).content.decode()
    link = reverse("annotations:dialogue-detail", args=[dataset.name, "calls/2024/17 50%"])
    assert f'href="{link}"' in listing
    assert client.get(link).context["dialogue"].external_id == "calls/2024/17 50%"


def test_a_link_with_the_dialogues_database_number_still_arrives(client, dataset, viewer):
    dialogue = make_dialogue(dataset, "sim-7-000002", ["play jazz"], with_labels=False)
    client.force_login(viewer)
    response = client.get(f"/datasets/{dataset.name}/dialogues/{dialogue.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{dataset.name}/dialogues/sim-7-000002/"
    assert client.get(f"/datasets/{dataset.name}/dialogues/{dialogue.pk + 1000}/").status_code == 404


def test_dataset_list_shows_only_member_datasets(client, dataset, viewer, dialogues):
    Dataset.objects.create(name="secret-logs")
    client.force_login(viewer)
    response = client.get(reverse("annotations:dataset-list"))
    assert [d.name for d in response.context["datasets"]] == ["assistant-logs"]
    assert b"secret-logs" not in response.content


def test_superuser_sees_every_dataset(client, dataset, make_user):
    Dataset.objects.create(name="secret-logs")
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    response = client.get(reverse("annotations:dataset-list"))
    assert [d.name for d in response.context["datasets"]] == ["assistant-logs", "secret-logs"]


def test_dataset_list_counts_dialogues_turns_and_labels_by_status(client, dataset, viewer, dialogues):
    client.force_login(viewer)
    [row] = client.get(reverse("annotations:dataset-list")).context["datasets"]
    assert (row.dialogue_count, row.turn_count) == (3, 6)
    assert row.label_count == Label.objects.count()
    assert row.labels_gold == Label.objects.filter(status="gold").count()
    assert row.labels_proposed == 5  # one model slot label per labelled turn
    assert row.user_role == Role.VIEWER


def test_dataset_list_costs_a_fixed_number_of_queries(
    client, dataset, viewer, dialogues, django_assert_num_queries
):
    for number in range(5):
        other = Dataset.objects.create(name=f"more-{number}")
        Membership.objects.create(dataset=other, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    client.get(reverse("annotations:dataset-list"))  # the first look counts them (small datasets)
    # Session, user, datasets with their kept counts, the labels changed since (one query for all).
    with django_assert_num_queries(4):
        client.get(reverse("annotations:dataset-list"))


def test_the_dataset_list_counts_from_kept_counts_and_recounts_after_a_change(
    client, dataset, viewer, dialogues
):
    client.force_login(viewer)
    [row] = client.get(reverse("annotations:dataset-list")).context["datasets"]
    labels = Label.objects.filter(dialogue__dataset=dataset)
    assert (row.dialogue_count, row.label_count) == (dataset.dialogues.count(), labels.count())
    assert row.labels_gold == labels.filter(status="gold").count() > 0
    labels.filter(pk=labels.first().pk).update(status="rejected", updated_at=timezone.now())
    [row] = client.get(reverse("annotations:dataset-list")).context["datasets"]
    assert row.labels_rejected == 1 and not row.counts_pending


def test_a_large_datasets_list_shows_its_kept_counts_and_asks_a_worker_to_recount(
    client, dataset, viewer, dialogues, monkeypatch, django_capture_on_commit_callbacks
):
    from annotations import stats

    client.force_login(viewer)
    client.get(reverse("annotations:dataset-list"))
    monkeypatch.setattr(stats, "SYNC_REFRESH_DIALOGUES", 1)
    labels = Label.objects.filter(dialogue__dataset=dataset)
    labels.filter(pk=labels.first().pk).update(status="rejected", updated_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [row] = client.get(reverse("annotations:dataset-list")).context["datasets"]
    assert row.labels_rejected == 0 and row.counts_pending and len(callbacks) == 1
    for callback in callbacks:
        callback()  # the worker's task, eager here
    [row] = client.get(reverse("annotations:dataset-list")).context["datasets"]
    assert row.labels_rejected == 1 and not row.counts_pending


def test_anyone_logged_in_can_create_a_dataset_and_becomes_its_admin(client, stranger):
    client.force_login(stranger)
    response = client.post(reverse("annotations:dataset-create"), {"name": "mine", "description": "d"})
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:dataset-detail", args=["mine"])
    assert Membership.objects.get(dataset__name="mine").role == Role.ADMIN


def test_creating_a_dataset_with_a_taken_name_shows_the_error(client, dataset, stranger):
    client.force_login(stranger)
    response = client.post(reverse("annotations:dataset-create"), {"name": dataset.name})
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors)


def test_dataset_page_lists_dialogues_with_their_counts(client, dataset, viewer, dialogues):
    client.force_login(viewer)
    response = client.get(reverse("annotations:dataset-detail", args=[dataset.name]))
    rows = {d.external_id: d for d in response.context["page"].dialogues}
    assert set(rows) == {"d1", "d2", "d3"}
    assert (rows["d2"].turn_count, rows["d2"].first_utterance) == (3, "what's the weather")
    assert rows["d3"].label_count == 0
    assert rows["d1"].label_count == Label.objects.filter(dialogue=dialogues[0]).count()
    assert rows["d1"].user_key == "u1"


def test_dataset_page_is_paginated_by_50_after_the_last_dialogue_shown(client, dataset, viewer):
    for number in range(51):
        make_dialogue(dataset, f"p{number:02}", ["hi"], with_labels=False)
    client.force_login(viewer)
    url = reverse("annotations:dataset-detail", args=[dataset.name])
    first = client.get(url)
    assert len(first.context["page"].dialogues) == 50
    after = first.context["page"].next_after
    assert after == first.context["page"].dialogues[-1].pk
    assert f"after={after}" in first.content.decode()
    second = client.get(url, {"after": after})
    assert [d.external_id for d in second.context["page"].dialogues] == ["p50"]
    assert second.context["page"].next_after is None


def test_search_finds_dialogues_by_utterance_text(client, dataset, viewer, dialogues):
    client.force_login(viewer)
    url = reverse("annotations:dataset-detail", args=[dataset.name])
    # "weather" is said twice in d2 (once capitalised): still one row.
    response = client.get(url, {"q": "WEATHER"})
    assert [d.external_id for d in response.context["page"].dialogues] == ["d2"]
    response = client.get(url, {"q": "purple"})
    assert [d.external_id for d in response.context["page"].dialogues] == ["d1"]
    assert list(client.get(url, {"q": "nothing like this"}).context["page"].dialogues) == []


def test_dialogue_page_shows_turns_slots_labels_and_goals(client, dataset, viewer, dataset_admin, dialogues):
    client.force_login(viewer)
    url = reverse("annotations:dialogue-detail", args=[dataset.name, dialogues[0].external_id])
    html = client.get(url).content.decode()
    assert " purple haze by jimi hendrix" in html
    assert "answer 1" in html  # the assistant's response bubble
    assert '<mark class="slot slot-hue-9"' in html and '<span class="slot-type">song</span>' in html
    assert "barge-in" in html and "negative feedback" in html
    assert "labeller-v1" in html  # a model label names its model version
    assert "alice" in html  # a person's label names its author
    assert "Goal 1" in html and "Goal 2" in html
    assert "✓ achieved" in html and "✗ not achieved" in html
    assert "ASR 0.90" in html and "NLU 0.80" in html


def test_dialogue_page_shows_preferences_as_chips_and_the_rewrite_as_text(client, dataset, viewer, tmp_path):
    data = dialogue_data("taught")
    data["labels"]["turns"]["t2"]["preferences"].append(
        {"domain": "music", "key": "genre", "value": "polka", "polarity": "dislike"}
    )
    path = tmp_path / "taught.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    client.force_login(viewer)
    html = client.get(
        reverse("annotations:dialogue-detail", args=[dataset.name, Dialogue.objects.get().external_id])
    ).content.decode()
    assert '<span class="pref-chip pref-chip--like">music · artist = Jimi Hendrix (like)</span>' in html
    assert '<span class="pref-chip pref-chip--dislike">music · genre = polka (dislike)</span>' in html
    assert '<q class="rewrite-text">play purple haze by jimi hendrix</q>' in html


def test_dialogue_page_escapes_what_people_said(client, dataset, viewer):
    dialogue = make_dialogue(dataset, "xss", ["play <script>alert(1)</script>"], with_labels=False)
    client.force_login(viewer)
    html = client.get(
        reverse("annotations:dialogue-detail", args=[dataset.name, dialogue.external_id])
    ).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


def test_dialogue_page_costs_a_fixed_number_of_queries(client, dataset, viewer, django_assert_num_queries):
    short = make_dialogue(dataset, "short", ["play something"] * 2)
    long = make_dialogue(dataset, "long", [f"utterance {n}" for n in range(20)])
    client.force_login(viewer)
    # session, user, dataset with the role, dialogue, its turns, its labels with model version and
    # author, the jobs working on the dataset (the header's notice)
    for dialogue in (short, long):
        with django_assert_num_queries(7):
            client.get(reverse("annotations:dialogue-detail", args=[dataset.name, dialogue.external_id]))


def test_dataset_page_costs_a_fixed_number_of_queries(
    client, dataset, viewer, dialogues, django_assert_num_queries
):
    client.force_login(viewer)
    url = reverse("annotations:dataset-detail", args=[dataset.name])
    # session, user, dataset, its kept counts and whether a label changed since, the page of
    # dialogues (no count of them all), the export form's model versions and members (once the counts
    # are kept), the jobs working on the dataset
    client.get(url)
    with django_assert_num_queries(9):
        client.get(url)
    for number in range(10):
        make_dialogue(dataset, f"more{number}", ["a", "b"])
    client.get(url)
    with django_assert_num_queries(9):
        client.get(url)


def test_viewer_cannot_import(client, dataset, viewer, reviewer):
    url = reverse("annotations:dataset-import", args=[dataset.name])
    for person in (viewer, reviewer):
        client.force_login(person)
        assert client.get(url).status_code == 403
        upload = SimpleUploadedFile("d.jsonl", b"{}\n")
        assert client.post(url, {"file": upload, "on_duplicate": "error"}).status_code == 403
    assert not Job.objects.exists()


def test_import_refuses_a_file_that_is_not_jsonl(client, dataset, dataset_admin):
    client.force_login(dataset_admin)
    upload = SimpleUploadedFile("notes.txt", b"hello")
    url = reverse("annotations:dataset-import", args=[dataset.name])
    response = client.post(url, {"file": upload, "on_duplicate": "error"})
    assert response.status_code == 200
    assert ".jsonl" in str(response.context["form"].errors["file"])
    assert not Job.objects.exists()


def test_upload_creates_an_import_job_and_runs_it(
    client, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    lines = [dialogue_data("a1"), dialogue_data("a2")]
    upload = SimpleUploadedFile("logs.jsonl", "".join(json.dumps(line) + "\n" for line in lines).encode())
    client.force_login(dataset_admin)
    url = reverse("annotations:dataset-import", args=[dataset.name])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload, "on_duplicate": "skip", "skip_invalid": "on"})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job-detail", args=[job.pk])
    assert (job.kind, job.status, job.created_by, job.dataset) == (
        "import",
        "succeeded",
        dataset_admin,
        dataset,
    )
    assert job.params["on_duplicate"] == "skip" and job.params["skip_invalid"] is True
    assert set(dataset.dialogues.values_list("external_id", flat=True)) == {"a1", "a2"}
    assert job.result["dialogues"] == 2
    html = client.get(response["Location"]).content.decode()
    assert "Succeeded" in html and "Dialogues" in html


def test_a_failed_import_shows_its_errors_line_by_line(
    client, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("bad.jsonl", b'{"id": "x"}\nnot json\n')
    client.force_login(dataset_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("annotations:dataset-import", args=[dataset.name]),
            {"file": upload, "on_duplicate": "error"},
        )
    job = Job.objects.get()
    assert job.status == "failed"
    assert "bad.jsonl:2" in job.error
    html = client.get(reverse("jobs:job-detail", args=[job.pk])).content.decode()
    assert '<pre class="error-text" data-field="error">' in html
    assert "bad.jsonl:1" in html and "bad.jsonl:2" in html


def test_a_duplicate_upload_is_told_what_to_choose_on_the_page_not_a_command_line_option(
    client, dataset, dataset_admin, django_capture_on_commit_callbacks
):
    make_dialogue(dataset, "a1", ["hello"])
    upload = SimpleUploadedFile("again.jsonl", (json.dumps(dialogue_data("a1")) + "\n").encode())
    client.force_login(dataset_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("annotations:dataset-import", args=[dataset.name]),
            {"file": upload, "on_duplicate": "error"},
        )
    job = Job.objects.get()
    assert job.status == "failed"
    assert "already in dataset" in job.error
    assert "--on-duplicate" not in job.error
    assert "“Skip the new copy”" in job.error and "on_duplicate=skip" in job.error


def test_the_dataset_page_shows_how_far_each_label_kind_has_come(client, dataset, viewer, dialogues):
    client.force_login(viewer)
    labels = Label.objects.filter(dialogue__dataset=dataset, kind="intent")
    labels.filter(pk=labels.first().pk).update(status="proposed", updated_at=timezone.now())
    response = client.get(reverse("annotations:dataset-detail", args=[dataset.name]))
    intent = next(row for row in response.context["overview"] if row.kind == "intent")
    assert (intent.labels, intent.proposed, intent.gold) == (labels.count(), 1, labels.count() - 1)
    assert "Overview" in response.content.decode() and 'class="stacked-bar"' in response.content.decode()


def test_a_search_shows_and_highlights_the_turn_that_matched_not_the_first_one(client, dataset, viewer):
    make_dialogue(dataset, "w1", ["good morning", "what's the Weather in paris", "thanks"])
    client.force_login(viewer)
    response = client.get(reverse("annotations:dataset-detail", args=[dataset.name]), {"q": "weather"})
    html = response.content.decode()
    assert "Matching turn" in html
    assert 'what&#x27;s the <mark class="match">Weather</mark> in paris' in html
    assert "good morning" not in html
    [row] = response.context["page"].dialogues
    assert row.match_turn == "t2"


def test_only_datasets_with_a_label_changed_after_their_counts_are_found_changed(dataset):
    quiet = Dataset.objects.create(name="quiet")
    uncounted = Dataset.objects.create(name="uncounted")
    for each in (dataset, quiet, uncounted):
        make_dialogue(each, f"{each.name}-1", ["hello there"])
    dataset_stats_refresh(dataset_id=dataset.pk)
    dataset_stats_refresh(dataset_id=quiet.pk)
    Label.objects.filter(dialogue__dataset=dataset).update(updated_at=timezone.now())

    listed = list(Dataset.objects.select_related("stats").order_by("name"))
    with CaptureQueriesContext(connection) as queries:
        assert datasets_changed_since_counted(listed) == {dataset.pk}
    # Each dataset's time is a value in the query, never a column the planner cannot see past.
    assert "annotations_datasetstats" not in queries[0]["sql"]
