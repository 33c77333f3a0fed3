"""The review queue: the next dialogue for a reviewer by each policy, held for one reviewer at a time,
released when the hold expires or the reviewer moves on, and never offered twice to one reviewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Label, LabelKind, Membership, Role
from review.models import DialogueReviewState
from review.services.adjudication import dataset_required_reviews_set
from review.services.decisions import review_decide
from review.services.queue import review_leave, review_next, review_skips_clear
from review.services.state import review_state_refresh
from selflearn_site.exceptions import ApplicationError
from tests.review.review_helpers import decision, label_of, make_reviewable

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialogues(dataset):
    """Three dialogues whose least confident label is 0.7, 0.3 and 0.5."""
    made = {}
    for name, confidence in (("sure", 0.7), ("unsure", 0.3), ("middling", 0.5)):
        made[name] = make_reviewable(dataset, name, ["play something", "louder"], confidence=confidence)
        made[name].dataset = dataset
    return made


@pytest.fixture
def second_reviewer(make_user, dataset):
    person = make_user("rob")
    Membership.objects.create(dataset=dataset, user=person, role=Role.REVIEWER)
    return person


def test_least_confident_first_gives_the_dialogue_with_the_lowest_confidence(dataset, dialogues, reviewer):
    assert review_next(dataset=dataset, reviewer=reviewer, policy="least_confident") == dialogues["unsure"].pk


def test_a_held_dialogue_goes_to_nobody_else_and_comes_back_to_its_holder(
    dataset, dialogues, reviewer, second_reviewer
):
    mine = review_next(dataset=dataset, reviewer=reviewer, policy="least_confident")
    theirs = review_next(dataset=dataset, reviewer=second_reviewer, policy="least_confident")
    assert (mine, theirs) == (dialogues["unsure"].pk, dialogues["middling"].pk)
    # Asking again (a reload, a second tab) resumes the dialogue held, whatever the policy.
    assert review_next(dataset=dataset, reviewer=reviewer, policy="random") == mine
    state = DialogueReviewState.objects.get(dialogue_id=mine)
    assert state.locked_by == reviewer and state.locked_until > timezone.now()


def test_an_expired_hold_frees_the_dialogue_for_others(
    dataset, dialogues, reviewer, second_reviewer, settings
):
    settings.SELFLEARN_REVIEW_LOCK_SECONDS = 60
    mine = review_next(dataset=dataset, reviewer=reviewer, policy="least_confident")
    DialogueReviewState.objects.filter(dialogue_id=mine).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert review_next(dataset=dataset, reviewer=second_reviewer, policy="least_confident") == mine


def test_a_skipped_dialogue_is_released_and_not_offered_to_that_reviewer_again(
    dataset, dialogues, reviewer, second_reviewer
):
    first = review_next(dataset=dataset, reviewer=reviewer, policy="least_confident")
    assert review_leave(dialogue_id=first, reviewer=reviewer) is True
    assert (
        review_next(dataset=dataset, reviewer=reviewer, policy="least_confident") == dialogues["middling"].pk
    )
    # The skip is the skipper's: someone else is offered it at once.
    assert review_next(dataset=dataset, reviewer=second_reviewer, policy="least_confident") == first
    assert review_skips_clear(dataset=dataset, reviewer=reviewer) == 1


def test_a_finished_dialogue_leaves_the_queue(dataset, dialogues, reviewer, second_reviewer):
    unsure = dialogues["unsure"]
    decisions = [decision(label, "accept") for label in Label.objects.filter(dialogue=unsure)]
    review_decide(dialogue=unsure, reviewer=reviewer, decisions=decisions)
    assert review_leave(dialogue_id=unsure.pk, reviewer=reviewer) is False
    assert review_next(dataset=dataset, reviewer=second_reviewer, policy="least_confident") != unsure.pk


def test_with_three_reviews_each_reviewer_gets_a_dialogue_once_until_three_have_done_it(
    dataset, make_user, reviewer, second_reviewer
):
    dialogue = make_reviewable(dataset, "gold", ["play jazz"], confidence=0.2)
    dialogue.dataset = dataset
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    third, fourth = make_user("tia"), make_user("uma")
    for person in (third, fourth):
        Membership.objects.create(dataset=dataset, user=person, role=Role.REVIEWER)
    for person in (reviewer, second_reviewer, third):
        assert review_next(dataset=dataset, reviewer=person, policy="least_confident") == dialogue.pk
        labels = Label.objects.filter(dialogue=dialogue)
        review_decide(
            dialogue=dialogue, reviewer=person, decisions=[decision(label, "accept") for label in labels]
        )
        assert review_next(dataset=dataset, reviewer=person, policy="least_confident") is None
    assert review_next(dataset=dataset, reviewer=fourth, policy="least_confident") is None
    assert set(Label.objects.filter(dialogue=dialogue).values_list("status", flat=True)) == {"gold"}


def test_most_disagreement_first_prefers_dialogues_where_the_model_differs_from_gold(
    dataset, dialogues, reviewer
):
    # An imported gold intent that the model's proposal contradicts.
    middling = dialogues["middling"]
    proposal = label_of(middling, LabelKind.INTENT, "t1")
    Label.objects.create(
        dialogue=middling,
        turn=proposal.turn,
        kind=LabelKind.INTENT,
        value="GetWeather",
        status="gold",
        source_type="import",
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    review_state_refresh(dialogue_ids=[middling.pk])
    assert DialogueReviewState.objects.get(dialogue=middling).disagreement == 1
    assert review_next(dataset=dataset, reviewer=reviewer, policy="disagreement") == middling.pk


def test_the_random_sample_includes_auto_accepted_labels_nobody_has_looked_at(dataset, dialogues, reviewer):
    sure = dialogues["sure"]
    Label.objects.filter(dialogue=sure).update(status="accepted")  # as the auto-accept rule leaves them
    review_state_refresh(dialogue_ids=[sure.pk])
    assert DialogueReviewState.objects.get(dialogue=sure).is_open
    seen = set()
    while (next_id := review_next(dataset=dataset, reviewer=reviewer, policy="random")) is not None:
        seen.add(next_id)
        review_leave(dialogue_id=next_id, reviewer=reviewer)
    assert seen == {dialogue.pk for dialogue in dialogues.values()}


def test_an_unknown_policy_names_the_field(dataset, reviewer):
    with pytest.raises(ApplicationError) as raised:
        review_next(dataset=dataset, reviewer=reviewer, policy="oldest")
    assert raised.value.extra["field"] == "policy"


def test_asking_for_the_next_dialogue_reads_one_index_whatever_the_queue_holds(
    dataset, dialogues, reviewer, django_assert_num_queries
):
    for number in range(20):
        make_reviewable(dataset, f"more-{number}", ["hello there"], confidence=0.9)
    # The dialogue held already, the candidates, the conditional claim.
    with django_assert_num_queries(3):
        review_next(dataset=dataset, reviewer=reviewer, policy="least_confident")
