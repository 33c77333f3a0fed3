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
