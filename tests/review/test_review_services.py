"""Reviewers' decisions: each saved at once with its audit, all or nothing, undoable, never losing
another reviewer's change, and corroborated when the dataset asks for several reviews."""

from __future__ import annotations

import pytest

from annotations.models import Label, LabelKind, LabelSource, LabelStatus, Membership, ReviewEvent, Role
from review.models import Adjudication, DialogueReview, DialogueReviewState, LabelReview
from review.services.adjudication import adjudication_decide, dataset_required_reviews_set
from review.services.changes import ReviewConflict
from review.services.decisions import DecisionInput, review_decide, review_label_create
from review.services.undo import review_undo
from selflearn_site.exceptions import ApplicationError
from tests.review.review_helpers import decision, label_of, make_reviewable

pytestmark = pytest.mark.django_db

UTTERANCES = ["play purple haze", "louder please", "what is the weather", "thanks"]


@pytest.fixture
def dialogue(dataset):
    dialogue = make_reviewable(dataset, "d1", UTTERANCES)
    dialogue.dataset = dataset
    return dialogue


@pytest.fixture
def panel(make_user, dataset):
    """Three more reviewers, for the corroboration tests."""
    people = []
    for name in ("ann", "ben", "cal"):
        person = make_user(name)
        Membership.objects.create(dataset=dataset, user=person, role=Role.REVIEWER)
        people.append(person)
    return people


def test_a_correction_changes_the_label_and_leaves_its_before_and_after(dialogue, reviewer):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    outcome = review_decide(
        dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "GetWeather")]
    )
    intent.refresh_from_db()
    assert (intent.status, intent.value, intent.revision) == (LabelStatus.CORRECTED, "GetWeather", 2)
    event = ReviewEvent.objects.get(label=intent)
    assert (event.action, event.actor, event.before["value"], event.after["value"]) == (
        "correct",
        reviewer,
        "PlayMusic",
        "GetWeather",
    )
    assert [label.pk for label in outcome.labels] == [intent.pk]
    assert LabelReview.objects.get(label=intent).proposed == "PlayMusic"


def test_accept_and_reject_set_the_status(dialogue, reviewer):
    defect, failure = (
        label_of(dialogue, LabelKind.DEFECT, "t2"),
        label_of(dialogue, LabelKind.FAILURE_POINT, "t2"),
    )
    review_decide(
        dialogue=dialogue,
        reviewer=reviewer,
        decisions=[decision(defect, "accept"), decision(failure, "reject")],
    )
    defect.refresh_from_db()
    failure.refresh_from_db()
    assert (defect.status, failure.status) == (LabelStatus.ACCEPTED, LabelStatus.REJECTED)


def test_a_correction_to_the_value_already_there_is_an_accept(dialogue, reviewer):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "PlayMusic")])
    intent.refresh_from_db()
    assert intent.status == LabelStatus.ACCEPTED


def test_a_decision_on_an_older_revision_is_refused_and_the_newer_change_is_kept(
    dialogue, reviewer, dataset_admin
):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    stale = decision(intent, "correct", "SetAlarm")
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "GetWeather")])
    with pytest.raises(ReviewConflict) as raised:
        review_decide(dialogue=dialogue, reviewer=dataset_admin, decisions=[stale])
    assert raised.value.status == 409
    assert "changed by rita" in raised.value.message
    assert [label.value for label in raised.value.labels] == ["GetWeather"]
    intent.refresh_from_db()
    assert (intent.value, intent.revision) == ("GetWeather", 2)
    assert ReviewEvent.objects.filter(label=intent).count() == 1


def test_one_invalid_decision_writes_nothing_of_the_others(dialogue, reviewer):
    intent, slots = label_of(dialogue, LabelKind.INTENT, "t1"), label_of(dialogue, LabelKind.SLOTS, "t1")
    bad_span = [{"start": 0, "end": 99, "type": "song"}]
    with pytest.raises(ApplicationError) as raised:
        review_decide(
            dialogue=dialogue,
            reviewer=reviewer,
            decisions=[decision(intent, "accept"), decision(slots, "correct", bad_span)],
        )
    assert raised.value.extra["field"] == "value"
    assert "value[0].end" in raised.value.message
    assert not ReviewEvent.objects.exists()
    assert (
        Label.objects.filter(dialogue=dialogue, status=LabelStatus.PROPOSED).count()
        == Label.objects.filter(dialogue=dialogue).count()
    )


def test_a_decision_on_a_label_of_another_dialogue_is_not_found(dataset, dialogue, reviewer):
    other = make_reviewable(dataset, "d2", ["hello"])
    foreign = label_of(other, LabelKind.INTENT, "t1")
    with pytest.raises(ApplicationError) as raised:
        review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(foreign, "accept")])
    assert raised.value.status == 404


def test_deciding_every_label_finishes_the_dialogue_and_takes_it_out_of_the_queue(dialogue, reviewer):
    labels = list(Label.objects.filter(dialogue=dialogue))
    outcome = review_decide(
        dialogue=dialogue, reviewer=reviewer, decisions=[decision(label, "accept") for label in labels]
    )
    assert outcome.done
    assert (
        DialogueReview.objects.get(dialogue=dialogue, reviewer=reviewer).status == DialogueReview.Status.DONE
    )
    state = DialogueReviewState.objects.get(dialogue=dialogue)
    assert (state.is_open, state.awaiting, state.reviews_done, state.locked_by) == (False, 0, 1, None)


def test_undo_takes_back_a_whole_accept_all_and_reopens_the_dialogue(dialogue, reviewer):
    labels = list(Label.objects.filter(dialogue=dialogue))
    review_decide(
        dialogue=dialogue, reviewer=reviewer, decisions=[decision(label, "accept") for label in labels]
    )
    outcome = review_undo(dialogue=dialogue, reviewer=reviewer)
    assert not outcome.done
    assert set(Label.objects.filter(dialogue=dialogue).values_list("status", flat=True)) == {
        LabelStatus.PROPOSED
    }
    assert not LabelReview.objects.exists()
    assert not DialogueReview.objects.exists()
    assert DialogueReviewState.objects.get(dialogue=dialogue).is_open
    undo_events = ReviewEvent.objects.filter(action=ReviewEvent.Action.UNDO)
    assert undo_events.count() == len(labels)
    assert all(event.reverts_id for event in undo_events)


def test_undo_goes_back_one_action_at_a_time(dialogue, reviewer):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "GetWeather")])
    intent.refresh_from_db()
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "SetAlarm")])
    review_undo(dialogue=dialogue, reviewer=reviewer)
    intent.refresh_from_db()
    assert (intent.value, intent.status) == ("GetWeather", LabelStatus.CORRECTED)
    review_undo(dialogue=dialogue, reviewer=reviewer)
    intent.refresh_from_db()
    assert (intent.value, intent.status) == ("PlayMusic", LabelStatus.PROPOSED)
    with pytest.raises(ApplicationError, match="Nothing of yours to undo"):
        review_undo(dialogue=dialogue, reviewer=reviewer)


def test_undo_is_refused_when_someone_changed_the_label_since(dialogue, reviewer, dataset_admin):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(intent, "correct", "GetWeather")])
    intent.refresh_from_db()
    review_decide(
        dialogue=dialogue, reviewer=dataset_admin, decisions=[decision(intent, "correct", "SetAlarm")]
    )
    with pytest.raises(ReviewConflict):
        review_undo(dialogue=dialogue, reviewer=reviewer)
    intent.refresh_from_db()
    assert intent.value == "SetAlarm"


def test_moving_a_goal_boundary_moves_the_next_goals_success_label_and_undo_moves_it_back(dialogue, reviewer):
    segments = label_of(dialogue, LabelKind.GOAL_SEGMENTS)
    assert segments.value == [{"turns": ["t1", "t2"]}, {"turns": ["t3", "t4"]}]
    moved = [{"turns": ["t1"]}, {"turns": ["t2", "t3", "t4"]}]
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(segments, "correct", moved)])
    second = label_of(dialogue, LabelKind.GOAL_SUCCESS, "t2")
    assert (second.value, second.revision) == (False, 2)
    assert ReviewEvent.objects.filter(label=second, action=ReviewEvent.Action.RETARGET).exists()
    review_undo(dialogue=dialogue, reviewer=reviewer)
    assert label_of(dialogue, LabelKind.GOAL_SUCCESS, "t3").value is False
    assert label_of(dialogue, LabelKind.GOAL_SEGMENTS).value == segments.value


def test_splitting_a_goal_gives_the_new_goal_a_success_label_and_merging_rejects_one(dialogue, reviewer):
    segments = label_of(dialogue, LabelKind.GOAL_SEGMENTS)
    split = [{"turns": ["t1"]}, {"turns": ["t2"]}, {"turns": ["t3", "t4"]}]
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(segments, "correct", split)])
    created = Label.objects.get(
        dialogue=dialogue, kind=LabelKind.GOAL_SUCCESS, source_type=LabelSource.PERSON
    )
    assert (created.turn.external_id, created.value, created.author) == ("t2", True, reviewer)
    segments.refresh_from_db()
    merged = [{"turns": ["t1", "t2", "t3", "t4"]}]
    review_decide(dialogue=dialogue, reviewer=reviewer, decisions=[decision(segments, "correct", merged)])
    statuses = dict(
        Label.objects.filter(dialogue=dialogue, kind=LabelKind.GOAL_SUCCESS).values_list(
            "turn__external_id", "status"
        )
    )
    assert statuses == {"t1": LabelStatus.PROPOSED, "t2": LabelStatus.REJECTED, "t3": LabelStatus.REJECTED}


def test_a_reviewer_labels_a_target_that_has_no_label_and_cannot_duplicate_one(dialogue, reviewer):
    Label.objects.filter(dialogue=dialogue, kind=LabelKind.DEFECT, turn__external_id="t1").delete()
    outcome = review_label_create(
        dialogue=dialogue, reviewer=reviewer, kind="defect", turn_external_id="t1", value=True
    )
    [label] = outcome.labels
    assert (label.source_type, label.status, label.value) == ("person", "corrected", True)
    assert label.author_name == reviewer.username
    with pytest.raises(ReviewConflict):
        review_label_create(
            dialogue=dialogue, reviewer=reviewer, kind="defect", turn_external_id="t1", value=False
        )
    review_undo(dialogue=dialogue, reviewer=reviewer)
    assert not Label.objects.filter(pk=label.pk).exists()


def test_with_three_reviews_a_label_stays_as_proposed_until_all_agree_then_becomes_gold(
    dataset, dialogue, panel
):
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    for person in panel[:2]:
        review_decide(
            dialogue=dialogue, reviewer=person, decisions=[decision(intent, "correct", "GetWeather")]
        )
        intent.refresh_from_db()
        assert (intent.status, intent.value, intent.revision) == (LabelStatus.PROPOSED, "PlayMusic", 1)
    review_decide(dialogue=dialogue, reviewer=panel[2], decisions=[decision(intent, "correct", "GetWeather")])
    intent.refresh_from_db()
    assert (intent.status, intent.value) == (LabelStatus.GOLD, "GetWeather")
    assert ReviewEvent.objects.filter(label=intent, action=ReviewEvent.Action.CORROBORATE).count() == 1
    with pytest.raises(ApplicationError, match="settled"):
        review_decide(dialogue=dialogue, reviewer=panel[0], decisions=[decision(intent, "accept")])


def test_with_three_reviews_a_disagreement_goes_to_an_admin_who_settles_it(
    dataset, dialogue, panel, dataset_admin
):
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    failure = label_of(dialogue, LabelKind.FAILURE_POINT, "t2")
    verdicts = [("correct", "asr"), ("correct", "asr"), ("accept", None)]
    for person, (action, value) in zip(panel, verdicts, strict=True):
        review_decide(dialogue=dialogue, reviewer=person, decisions=[decision(failure, action, value)])
    failure.refresh_from_db()
    assert failure.status == LabelStatus.PROPOSED
    with pytest.raises(ApplicationError, match="waiting for adjudication"):
        review_decide(dialogue=dialogue, reviewer=panel[2], decisions=[decision(failure, "correct", "asr")])
    adjudication = Adjudication.objects.get(label=failure)
    adjudication_decide(adjudication=adjudication, admin=dataset_admin, verdict="gold", value="asr")
    failure.refresh_from_db()
    adjudication.refresh_from_db()
    assert (failure.status, failure.value) == (LabelStatus.GOLD, "asr")
    assert adjudication.resolved_by == dataset_admin


def test_undoing_the_last_of_three_reviews_undoes_the_gold_it_made(dataset, dialogue, panel):
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    defect = label_of(dialogue, LabelKind.DEFECT, "t1")
    for person in panel:
        review_decide(dialogue=dialogue, reviewer=person, decisions=[decision(defect, "reject")])
    defect.refresh_from_db()
    assert defect.status == LabelStatus.REJECTED
    review_undo(dialogue=dialogue, reviewer=panel[2])
    defect.refresh_from_db()
    assert defect.status == LabelStatus.PROPOSED
    assert LabelReview.objects.filter(label=defect).count() == 2


def test_raising_the_required_reviews_settles_labels_that_already_have_enough(dataset, dialogue, panel):
    dataset_required_reviews_set(dataset=dataset, required_reviews=3)
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    for person in panel[:2]:
        review_decide(dialogue=dialogue, reviewer=person, decisions=[decision(intent, "accept")])
    dataset_required_reviews_set(dataset=dataset, required_reviews=2)
    intent.refresh_from_db()
    assert intent.status == LabelStatus.GOLD
    with pytest.raises(ApplicationError) as raised:
        dataset_required_reviews_set(dataset=dataset, required_reviews=0)
    assert raised.value.extra["field"] == "required_reviews"


def test_an_unknown_action_names_the_field(dialogue, reviewer):
    intent = label_of(dialogue, LabelKind.INTENT, "t1")
    with pytest.raises(ApplicationError) as raised:
        review_decide(
            dialogue=dialogue, reviewer=reviewer, decisions=[DecisionInput(intent.pk, "approve", 1)]
        )
    assert raised.value.extra["field"] == "action"
