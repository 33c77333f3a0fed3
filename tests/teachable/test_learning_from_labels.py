from __future__ import annotations

import pytest

from annotations.models import Label, LabelKind, LabelStatus, Turn
from review.services import review_proposals_written
from review.services.auto_accept import auto_accept_rules_set
from review.services.decisions import DecisionInput, review_decide
from teachable.models import Preference
from teachable.selectors import known_preferences
from teachable.services import preferences_learn_from_labels
from tests.review.review_helpers import make_model
from tests.teachable.conftest import stated_label

pytestmark = pytest.mark.django_db

STATED = [{"domain": "sports", "key": "team", "value": "the warriors", "polarity": "like"}]


def _label(dataset, status: str, value=None, confidence: float = 0.8, model=None, dialogue="d1") -> Label:
    return stated_label(
        dataset,
        status,
        value if value is not None else STATED,
        dialogue=dialogue,
        confidence=confidence,
        model=model,
    )


def test_a_gold_statement_is_learned_once_with_its_turn_as_evidence(people):
    label = _label(people, LabelStatus.GOLD)
    report = preferences_learn_from_labels(dataset=people)
    assert (report.labels, report.learned, report.skipped) == (1, 1, [])
    preference = Preference.objects.get()
    assert (preference.user_key, preference.value, preference.source) == (
        "u1",
        "Golden State Warriors",
        "import",
    )
    assert (preference.turn, preference.label, preference.label_revision) == (label.turn, label, 1)
    assert preferences_learn_from_labels(dataset=people).learned == 0


def test_proposals_teach_nothing_until_people_settle_them(people):
    _label(people, LabelStatus.PROPOSED, model=make_model())
    assert preferences_learn_from_labels(dataset=people).learned == 0
    assert not Preference.objects.exists()


def test_accepting_a_statement_on_the_review_page_teaches_the_store(people, reviewer):
    label = _label(people, LabelStatus.PROPOSED, model=make_model())
    review_decide(
        dialogue=label.dialogue,
        reviewer=reviewer,
        decisions=[DecisionInput(label_id=label.pk, action="accept", revision=label.revision)],
    )
    assert [k.value for k in known_preferences(people, "u1")] == ["Golden State Warriors"]
    assert Preference.objects.get().source == "statement"


def test_an_accepted_statement_of_a_film_no_catalogue_knows_is_stored_unresolved(people, reviewer):
    film = [{"domain": "movies", "key": "film", "value": "The Zebra Chronicles", "polarity": "like"}]
    label = _label(people, LabelStatus.PROPOSED, value=film, model=make_model())
    review_decide(
        dialogue=label.dialogue,
        reviewer=reviewer,
        decisions=[DecisionInput(label_id=label.pk, action="accept", revision=label.revision)],
    )
    preference = Preference.objects.get()
    assert (preference.key, preference.value, preference.resolved, preference.label) == (
        "film",
        "The Zebra Chronicles",
        False,
        label,
    )


def test_a_correction_teaches_the_corrected_value_in_place_of_the_first(people, reviewer):
    label = _label(people, LabelStatus.PROPOSED, model=make_model())
    corrected = [{"domain": "sports", "key": "team", "value": "the chicago bulls", "polarity": "like"}]
    review_decide(
        dialogue=label.dialogue,
        reviewer=reviewer,
        decisions=[DecisionInput(label.pk, "correct", label.revision, corrected)],
    )
    assert [k.value for k in known_preferences(people, "u1")] == ["Chicago Bulls"]


def test_auto_accepted_statements_reach_the_store(people):
    model = make_model()
    auto_accept_rules_set(dataset=people, thresholds={LabelKind.PREFERENCES: 0.7})
    label = _label(people, LabelStatus.PROPOSED, model=model, confidence=0.9)
    review_proposals_written(model_version=model, dialogue_ids=[label.dialogue_id])
    assert [k.value for k in known_preferences(people, "u1")] == ["Golden State Warriors"]


def test_a_statement_without_a_speaker_or_an_unknown_value_is_reported_or_kept_as_written(people):
    _label(people, LabelStatus.GOLD, value=[{"domain": "sports", "key": "team", "value": "the zebras"}])
    report = preferences_learn_from_labels(dataset=people)
    assert report.learned == 1
    assert (Preference.objects.get().value, Preference.objects.get().resolved) == ("the zebras", False)
    turn = Turn.objects.get(dialogue__external_id="d2")
    turn.dialogue.user_key = None
    turn.dialogue.save()
    _label(
        people, LabelStatus.GOLD, value=[{"domain": "music", "key": "genre", "value": "jazz"}], dialogue="d2"
    )
    report = preferences_learn_from_labels(dataset=people)
    assert report.skipped == ["dialogue d2, turn t1: the dialogue names no user_id"]
