from __future__ import annotations

import pytest
from django.urls import reverse

from rewrites.models import RewriteBlock, RewritePair

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(dataset):
    return RewritePair.objects.create(
        dataset=dataset,
        source="play purple rain",
        target="play purple haze",
        proposed_target="play purple haze",
        probability=0.67,
        support=3,
        users=3,
        evidence=["d1", "missing"],
    )


def test_the_page_lists_proposals_with_their_evidence_and_counts(client, dataset, viewer, pair):
    from annotations.models import Dialogue

    dialogue = Dialogue.objects.create(dataset=dataset, external_id="d1")
    client.force_login(viewer)
    page = client.get(reverse("rewrites:rewrite-pairs", args=[dataset.name]))
    assert page.status_code == 200 and page.context["counts"]["proposed"] == 1
    html = page.content.decode()
    assert reverse("annotations:dialogue-detail", args=[dataset.name, dialogue.external_id]) in html
    assert not page.context["may_review"]
    assert (
        client.post(
            reverse("rewrites:rewrite-pairs", args=[dataset.name]), {"action": "accept", "pair": pair.pk}
        ).status_code
        == 403
    )


def test_a_reviewer_edits_a_pair_and_tries_it(client, dataset, reviewer, pair):
    client.force_login(reviewer)
    url = reverse("rewrites:rewrite-pairs", args=[dataset.name])
    client.post(url, {"action": "edit", "pair": pair.pk, "target": "Play Purple Haze by Jimi Hendrix"})
    pair.refresh_from_db()
    assert (pair.status, pair.target) == ("edited", "play purple haze by jimi hendrix")
    answer = client.get(url, {"utterance": "play purple rain"}).context["answer"]
    assert answer.rewrite == "play purple haze by jimi hendrix"
    client.post(url, {"action": "block", "utterance": "Play purple rain"})
    assert RewriteBlock.objects.get().utterance == "play purple rain"
    assert client.get(url, {"utterance": "play purple rain"}).context["answer"].rewrite is None


def test_only_admins_mine_and_a_bad_setting_is_said(client, dataset, reviewer, dataset_admin):
    client.force_login(reviewer)
    url = reverse("rewrites:rewrite-pairs", args=[dataset.name])
    assert (
        client.post(
            url, {"action": "mine", "labels": "best", "min_probability": 0.5, "min_support": 2}
        ).status_code
        == 403
    )
    client.force_login(dataset_admin)
    response = client.post(
        url,
        {
            "action": "mine",
            "labels": "everything",
            "min_probability": 0.5,
            "min_support": 2,
            "min_margin": 0.1,
        },
        follow=True,
    )
    assert "labels must be gold, reviewed, best or model:NAME" in response.content.decode()


REPLAY = {
    "global": {
        "attempts": 200,
        "wins": 30,
        "losses": 1,
        "win_loss": 30.0,
        "coverage": 0.2,
        "defect_rate_before": 0.35,
        "defect_rate_after": 0.205,
        "defects_cut": 0.4143,
    },
    "global_and_personal": {
        "attempts": 200,
        "wins": 41,
        "losses": 2,
        "win_loss": 20.5,
        "coverage": 0.27,
        "defect_rate_before": 0.35,
        "defect_rate_after": 0.155,
        "defects_cut": 0.5571,
    },
}


def test_the_page_shows_each_pair_s_and_the_rewriter_s_replay_judged_by_the_assistant(
    client, dataset, viewer, pair
):
    from rewrites.models import RewriterVersion

    pair.assistant_attempts, pair.assistant_wins, pair.assistant_losses = 9, 4, 1
    pair.save()
    RewriterVersion.objects.create(
        dataset=dataset,
        path="unused.pkl",
        stats={
            "attempts": 200,
            "people": 12,
            "held_out_wins": 25,
            "held_out_losses": 2,
            "assistant_replay": REPLAY,
        },
    )
    client.force_login(viewer)
    html = client.get(reverse("rewrites:rewrite-pairs", args=[dataset.name])).content.decode()
    row = html[html.index(f'data-pair="{pair.pk}"') :]
    assert '<span class="replay-wins">4 won</span> · <span class="replay-losses">1 lost</span>' in row
    table = html[html.index('id="rewriter-replay"') :]
    assert (
        'The global layer alone</th><td class="num">30</td><td class="num">1</td><td class="num">20.0%</td>'
        in table
    )
    assert 'With the personal layer</th><td class="num">41</td>' in table
    assert "35.0% → 15.5%" in table and "(cut 55.7%)" in table
    assert "from 200 requests of 12 people" in html and "25 wins for 2 losses" in html


def test_without_the_assistant_s_truth_the_page_says_there_is_no_assistant_to_judge_with(
    client, dataset, viewer, pair
):
    from rewrites.models import RewriterVersion

    client.force_login(viewer)
    html = client.get(reverse("rewrites:rewrite-pairs", args=[dataset.name])).content.decode()
    assert (
        "No rewriter is built yet" in html and 'title="These logs carry no assistant to judge with">—' in html
    )
    RewriterVersion.objects.create(dataset=dataset, path="unused.pkl", stats={"attempts": 10, "people": 2})
    html = client.get(reverse("rewrites:rewrite-pairs", args=[dataset.name])).content.decode()
    assert "carry no truth about the assistant" in html and 'id="rewriter-replay"' not in html
