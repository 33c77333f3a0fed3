from __future__ import annotations

import pytest

from selflearn_site.exceptions import ApplicationError
from teachable.models import Preference, PreferenceEvent
from teachable.selectors import known_preferences, user_record
from teachable.services import (
    PreferenceInput,
    QuestionInput,
    preference_correct,
    preference_delete,
    preference_learn,
    question_set_save,
    user_forget,
)

pytestmark = pytest.mark.django_db


def _learn(dataset, value: str, polarity: str = "like", key: str = "team", domain: str = "sports", **extra):
    return preference_learn(
        dataset=dataset,
        user_key="u1",
        data=PreferenceInput(domain, key, value, polarity, extra.pop("source", "statement"), **extra),
    )


def test_a_stated_team_resolves_to_its_catalogue_entry(people) -> None:
    preference = _learn(people, "the warriors")
    assert (preference.value, preference.entity.value) == ("Golden State Warriors", "Golden State Warriors")
    assert PreferenceEvent.objects.get(preference=preference).action == "create"


def test_a_newer_like_of_the_same_key_supersedes_the_older_one(people) -> None:
    old = _learn(people, "the warriors")
    new = _learn(people, "the new york jets")
    old.refresh_from_db()
    assert (old.active, old.superseded_by) == (False, new)
    assert [k.value for k in known_preferences(people, "u1")] == ["New York Jets"]


@pytest.fixture
def food_questions(people):
    """A question set that defines keys without a catalogue: a dish, a book genre."""
    question_set_save(
        dataset=people,
        name="more",
        domain="food",
        questions=[
            QuestionInput("dish", "A dish you like?", answer_type="text"),
            QuestionInput("books", "What do you read?", "reading", answer_type="text"),
        ],
    )
    return people


def test_dislikes_are_kept_side_by_side_and_beside_the_like(food_questions) -> None:
    people = food_questions
    _learn(people, "pizza", "dislike", key="dish", domain="food")
    _learn(people, "sushi", "dislike", key="dish", domain="food")
    _learn(people, "italian", key="cuisine", domain="food")
    assert sorted((k.key, k.value, k.polarity) for k in known_preferences(people, "u1")) == [
        ("cuisine", "italian", "like"),
        ("dish", "pizza", "dislike"),
        ("dish", "sushi", "dislike"),
    ]


def test_liking_what_was_disliked_withdraws_the_dislike(people) -> None:
    _learn(people, "jazz", "dislike", key="genre", domain="music")
    _learn(people, "jazz", key="genre", domain="music")
    assert [(k.value, k.polarity) for k in known_preferences(people, "u1")] == [("jazz", "like")]


def test_saying_it_again_refreshes_it_without_a_second_row(people) -> None:
    first = _learn(people, "the warriors", confidence=0.6)
    again = _learn(people, "golden state warriors", confidence=0.9)
    assert again.pk == first.pk and again.confidence == 0.9
    assert Preference.objects.count() == 1


def test_a_name_that_fits_several_entities_is_refused_naming_the_field(people) -> None:
    with pytest.raises(ApplicationError, match="could be") as refused:
        _learn(people, "the giants")
    assert refused.value.extra["field"] == "value"
    assert not Preference.objects.exists()


def test_a_value_the_key_s_catalogue_does_not_know_is_kept_as_written_and_unresolved(people) -> None:
    preference = _learn(people, "the zebras")
    assert (preference.value, preference.entity, preference.resolved) == ("the zebras", None, False)
    assert _learn(people, "the warriors").resolved is True


def test_keys_without_a_catalogue_keep_the_value_as_written(food_questions) -> None:
    preference = _learn(food_questions, "Sci-Fi novels", key="books", domain="reading")
    assert (preference.value, preference.resolved) == ("Sci-Fi novels", False)


def test_any_short_key_is_open_even_one_no_catalogue_or_question_set_defines(people) -> None:
    preference = _learn(people, "The Zebra Chronicles", key="film", domain="movies")
    assert (preference.key, preference.value, preference.resolved) == ("film", "The Zebra Chronicles", False)
    assert [(k.key, k.resolved) for k in known_preferences(people, "u1")] == [("film", False)]
    with pytest.raises(ApplicationError) as refused:
        _learn(people, "Heat", key="f" * 65, domain="movies")
    assert refused.value.extra["field"] == "key"


def test_the_same_unresolved_value_said_again_in_other_case_is_one_preference(people) -> None:
    first = _learn(people, "the zebra chronicles", "dislike", key="film", domain="movies")
    again = _learn(people, "The Zebra Chronicles!", "dislike", key="film", domain="movies")
    assert again.pk == first.pk and Preference.objects.count() == 1


def test_an_unknown_person_or_bad_field_is_refused_and_nothing_is_written(people) -> None:
    with pytest.raises(ApplicationError, match="no assistant user 'nobody'") as refused:
        preference_learn(
            dataset=people, user_key="nobody", data=PreferenceInput("sports", "team", "the warriors")
        )
    assert refused.value.extra["field"] == "user_id"
    with pytest.raises(ApplicationError) as refused:
        _learn(people, "jazz", "love", key="genre", domain="music")
    assert refused.value.extra["field"] == "polarity"
    with pytest.raises(ApplicationError) as refused:
        _learn(people, "jazz", key="genre", domain="music", confidence=1.5)
    assert refused.value.extra["field"] == "confidence"
    assert not Preference.objects.exists()


def test_a_reviewer_correction_keeps_the_old_value_in_the_record(people, reviewer) -> None:
    wrong = _learn(people, "the warriors")
    corrected = preference_correct(
        preference=wrong, data=PreferenceInput("sports", "team", "the washington wizards"), actor=reviewer
    )
    assert (corrected.value, corrected.source) == ("Washington Wizards", "reviewer")
    record = user_record(people, "u1")
    assert [p["value"] for p in record["preferences"] if not p["active"]] == ["Golden State Warriors"]
    assert {"correct", "create"} <= {e["action"] for e in record["events"]}


def test_a_deleted_preference_no_longer_applies(people, reviewer) -> None:
    preference_delete(preference=_learn(people, "the warriors"), actor=reviewer)
    assert known_preferences(people, "u1") == []
    with pytest.raises(ApplicationError, match="already"):
        preference_delete(preference=Preference.objects.get(), actor=reviewer)


def test_forgetting_a_person_deletes_everything_kept_about_them_and_nobody_else(people) -> None:
    _learn(people, "the warriors")
    preference_learn(dataset=people, user_key="u2", data=PreferenceInput("music", "genre", "jazz"))
    assert user_forget(dataset=people, user_key="u1") == {"preferences": 1, "sessions": 0, "moments": 0}
    assert list(Preference.objects.values_list("user_key", flat=True)) == ["u2"]
    assert not PreferenceEvent.objects.filter(preference__user_key="u1").exists()


def test_a_catalogue_made_again_is_read_afresh_not_from_the_cached_index(people) -> None:
    from teachable.models import Catalogue, QuestionSet, ResolutionRule
    from teachable.services import catalogues_load_defaults

    _learn(people, "the warriors")  # the team index is now cached in this process
    # Everything goes, as when a test database is flushed, and the catalogues are loaded again.
    Preference.objects.all().delete()
    QuestionSet.objects.all().delete()
    ResolutionRule.objects.all().delete()
    Catalogue.objects.all().delete()
    catalogues_load_defaults()
    preference = _learn(people, "the chicago bulls")
    assert preference.entity is not None and preference.entity.catalogue.name == "team"
