from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from annotations.formats.exporting import LabelSelection, iter_export_lines
from annotations.formats.importing import ImportSource, import_dialogues
from jobs.models import Job
from rewrites import services as rewrites_services
from rewrites.models import RewriteLog, RewritePair
from rewrites.services import MiningOptions, rewrite_block_add, rewrite_pair_decide, rewrites_mine
from selflearn_site.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
BASE = "/api/datasets/assistant-logs"


def _dialogue(number: int, user: str, *utterances: str, served: bool = True) -> dict:
    turns = [{"id": f"t{n + 1}", "utterance": u} for n, u in enumerate(utterances)]
    labels = {f"t{n + 1}": {"rephrase_of": f"t{n}"} for n in range(1, len(turns))}
    labels[f"t{len(turns)}"]["defect"] = not served
    return {"id": f"d{number}", "user_id": user, "turns": turns, "labels": {"turns": labels}}


@pytest.fixture
def rephrased(dataset, tmp_path):
    """Three people said "play purple rain" and were served by "play purple haze" (two of them), one
    said "what's the whether" once."""
    lines = [
        _dialogue(1, "u1", "play purple rain", "play purple haze"),
        _dialogue(2, "u2", "play purple rain", "play the song purple haze", "play purple haze"),
        _dialogue(3, "u3", "play purple rain", "play prince purple rain", served=False),
        _dialogue(4, "u4", "what's the whether", "what's the weather"),
    ]
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    return dataset


def test_mining_proposes_the_wording_that_served_people_with_its_probability_and_support(rephrased):
    report = rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=2))
    assert (report["chains"], report["pairs"], report["new_pairs"]) == (4, 1, 1)
    pair = RewritePair.objects.get()
    assert (pair.source, pair.target, pair.status) == ("play purple rain", "play purple haze", "proposed")
    assert pair.probability == pytest.approx(2 / 3, abs=1e-5)
    assert (pair.support, pair.users, pair.evidence) == (3, 3, ["d1", "d2", "d3"])


def test_mining_again_keeps_reviewed_decisions_and_drops_proposals_that_no_longer_pass(rephrased, reviewer):
    rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=1))
    weather = RewritePair.objects.get(source="what's the whether")
    rewrite_pair_decide(pair=weather, action="edit", target="What's the weather today?", actor=reviewer)
    report = rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=3))
    # "play the song purple haze" (one chain) goes; the edited pair stays although it no longer passes.
    assert report["dropped_pairs"] == 1
    assert set(RewritePair.objects.values_list("source", flat=True)) == {
        "play purple rain",
        "what's the whether",
    }
    weather.refresh_from_db()
    assert (weather.status, weather.target) == ("edited", "what's the weather today")
    report = rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=5))
    assert set(RewritePair.objects.values_list("source", flat=True)) == {"what's the whether"}


def test_a_dataset_without_rephrases_or_bad_options_is_refused_naming_the_field(dataset):
    with pytest.raises(ApplicationError, match="No rephrase chains") as refused:
        rewrites_mine(dataset=dataset, options=MiningOptions())
    assert refused.value.extra["field"] == "labels"
    for options, field in (
        (MiningOptions(labels="everything"), "labels"),
        (MiningOptions(min_probability=0), "min_probability"),
        (MiningOptions(min_support=0), "min_support"),
    ):
        with pytest.raises(ApplicationError) as refused:
            options.validated()
        assert refused.value.extra["field"] == field


def test_a_reviewed_pair_is_served_and_every_answer_is_logged(
    rephrased, reviewer, viewer, dataset_admin, django_capture_on_commit_callbacks
):
    admin_api, reviewer_api, viewer_api = APIClient(), APIClient(), APIClient()
    admin_api.force_authenticate(dataset_admin)
    reviewer_api.force_authenticate(reviewer)
    viewer_api.force_authenticate(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        job = admin_api.post(f"{BASE}/rewrites/mine/", {"min_support": 1}, format="json")
    assert job.status_code == 202
    assert Job.objects.get(pk=job.data["id"]).status == Job.Status.SUCCEEDED
    assert reviewer_api.post(f"{BASE}/rewrites/mine/", {}, format="json").status_code == 403

    asked = {"user_id": "u9", "utterance": "Play Purple Rain!"}
    before = viewer_api.post(f"{BASE}/rewrite/", asked, format="json").data
    assert before["rewrite"] is None and before["reason"] == "no served rewrite for this utterance"

    proposed = viewer_api.get(f"{BASE}/rewrites/pairs/?status=proposed").data
    (pair,) = [p for p in proposed if p["source"] == "play purple rain"]
    assert (
        viewer_api.post(f"{BASE}/rewrites/pairs/{pair['id']}/decision/", {"action": "accept"}).status_code
        == 403
    )
    decided = reviewer_api.post(
        f"{BASE}/rewrites/pairs/{pair['id']}/decision/", {"action": "accept"}, format="json"
    )
    assert decided.data["status"] == "accepted" and decided.data["reviewed_by"] == "rita"
    after = viewer_api.post(f"{BASE}/rewrite/", asked, format="json").data
    assert (after["rewrite"], after["layer"]) == ("play purple haze", "global")
    assert after["score"] == pytest.approx(2 / 3, abs=1e-5) and after["evidence"]["users"] == 3

    blocked = reviewer_api.post(f"{BASE}/rewrites/blocked/", {"utterance": "play purple haze"}, format="json")
    assert blocked.status_code == 201
    assert viewer_api.post(f"{BASE}/rewrite/", asked, format="json").data["rewrite"] is None
    assert list(RewriteLog.objects.values_list("rewrite", flat=True).order_by("id")) == [
        "",
        "play purple haze",
        "",
    ]


def test_empty_or_oversized_utterances_and_bad_edits_are_refused(rephrased, reviewer, viewer):
    api = APIClient()
    api.force_authenticate(viewer)
    assert api.post(f"{BASE}/rewrite/", {"utterance": ""}, format="json").status_code == 400
    assert api.post(f"{BASE}/rewrite/", {"utterance": "x" * 501}, format="json").status_code == 400
    rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=1))
    pair = RewritePair.objects.get(source="play purple rain")
    with pytest.raises(ApplicationError, match="differ"):
        rewrite_pair_decide(pair=pair, action="edit", target="Play purple rain.", actor=reviewer)
    with pytest.raises(ApplicationError) as refused:
        rewrite_block_add(dataset=rephrased, utterance="  ?! ", actor=reviewer)
    assert refused.value.extra["field"] == "utterance"


def test_the_served_pairs_download_as_json_lines_without_blocked_ones(rephrased, reviewer, viewer):
    rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=1))
    for pair in RewritePair.objects.all():
        rewrite_pair_decide(pair=pair, action="accept", actor=reviewer)
    rewrite_block_add(dataset=rephrased, utterance="what's the weather", actor=reviewer)
    api = APIClient()
    api.force_authenticate(viewer)
    response = api.get(f"{BASE}/rewrites/pairs/export/")
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert response["Content-Type"] == "application/x-ndjson"
    assert [row["source"] for row in rows] == ["play the song purple haze", "play purple rain"]
    assert rows[1] == {
        "source": "play purple rain",
        "target": "play purple haze",
        "probability": rows[1]["probability"],
        "support": 3,
        "users": 3,
        "status": "accepted",
    }


def test_an_accepted_pair_labels_its_evidence_turns_and_the_export_carries_them(rephrased, reviewer):
    rewrites_mine(dataset=rephrased, options=MiningOptions(min_support=1))
    pair = RewritePair.objects.get(dataset=rephrased, source="play purple rain")
    rewrite_pair_decide(pair=pair, action="edit", actor=reviewer, target="Play Purple Haze, please")
    exported = {
        line["id"]: line["labels"]["turns"]
        for line in map(
            json.loads, iter_export_lines(dataset=rephrased, selection=LabelSelection.parse("best"))
        )
    }
    # Each evidence dialogue's first turn said the source; none of the other turns gets a rewrite.
    assert {d: turns["t1"]["rewrite"] for d, turns in exported.items() if d in pair.evidence} == {
        d: "play purple haze please" for d in pair.evidence
    }
    assert all(
        "rewrite" not in label for turns in exported.values() for t, label in turns.items() if t != "t1"
    )
    again = rewrite_pair_decide(pair=pair, action="accept", actor=reviewer)  # no second label, no error
    assert again.status == RewritePair.Status.ACCEPTED


def test_a_cancelled_mining_job_stops_reading_and_writes_no_pair(rephrased, dataset_admin, monkeypatch):
    monkeypatch.setattr(rewrites_services, "CHECK_EVERY", 1)
    job = rewrites_services.mine_rewrites_job_create(
        dataset=rephrased, user=dataset_admin, options=MiningOptions(min_support=1)
    )
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, cancel_requested=True)
    job.refresh_from_db()
    finished = rewrites_services.mine_rewrites_job_run(job=job)
    assert finished.status == Job.Status.CANCELLED
    assert finished.result == {"dialogues_read": 1, "pairs_written": 0}
    assert not RewritePair.objects.filter(dataset=rephrased).exists()
