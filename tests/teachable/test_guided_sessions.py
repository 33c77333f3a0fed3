from __future__ import annotations

import pytest

from selflearn_site.exceptions import ApplicationError
from teachable.models import GuidedSession, Question, QuestionSet
from teachable.payload import guided_session_turn
from teachable.selectors import known_preferences, question_set_get
from teachable.services import QuestionInput, guided_session_answer, guided_session_start, question_set_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(people):
    return guided_session_start(
        dataset=people, user_key="u1", question_set=question_set_get(people, "learn-my-preferences")
    )


def _say(session: GuidedSession, *answers: str) -> dict:
    for answer in answers:
        session = guided_session_answer(session=session, answer=answer)
    return guided_session_turn(session)


def test_a_session_asks_confirms_and_stores_each_answer(people, session) -> None:
    assert guided_session_turn(session)["prompt"] == "Which sports team do you follow?"
    turn = _say(session, "definitely the golden state warriors")
    assert (turn["status"], turn["prompt"]) == (
        "confirming",
        "So you follow Golden State Warriors. Is that right?",
    )
    turn = _say(session, "yes")
    assert turn["question"]["key"] == "city"
    turn = _say(session, "we're in austin texas", "yes", "i like indian food", "yes", "mostly jazz", "yes")
    assert turn["ended"] and turn["status"] == "done", turn["transcript"]
    assert turn["prompt"].startswith("Thanks! I learned team: Golden State Warriors; city: Austin, TX")
    assert sorted((k.key, k.value) for k in known_preferences(people, "u1")) == [
        ("city", "Austin, TX"),
        ("cuisine", "indian"),
        ("genre", "jazz"),
        ("team", "Golden State Warriors"),
    ]


def test_the_transcript_keeps_the_question_each_answer_answered_in_words_that_fit_it(session) -> None:
    turn = _say(session, "the giants", "new york", "yes", "springfield", "missouri", "no", "skip")
    assert [(entry["question"], entry["answer"]) for entry in turn["transcript"]] == [
        ("Which sports team do you follow?", "the giants"),
        ("Which one do you mean: New York Giants or San Francisco Giants?", "new york"),
        ("So you follow New York Giants. Is that right?", "yes"),
        ("Which city do you live in?", "springfield"),
        ("Which one do you mean: Springfield, IL or Springfield, MA or Springfield, MO?", "missouri"),
        ("So you live in Springfield, MO. Is that right?", "no"),
        ("Let's try again. Which city do you live in?", "skip"),
    ]


@pytest.mark.parametrize(
    ("answer", "understood"),
    [("oh definitely sushi", "japanese"), ("pizza mostly", "italian"), ("tacos", "mexican")],
)
def test_a_food_question_answered_with_a_dish_resolves_to_its_cuisine(session, answer, understood) -> None:
    turn = _say(session, "skip", "skip", answer)
    assert turn["prompt"] == f"So you like {understood} food. Is that right?"


def test_a_dish_of_two_cuisines_is_asked_back_as_a_choice(session) -> None:
    assert _say(session, "skip", "skip", "curry")["choices"] == ["indian", "thai"]


def test_a_question_without_its_own_confirmation_says_you_like(people) -> None:
    question_set_save(
        dataset=people,
        name="drinks",
        domain="food",
        questions=[QuestionInput("cuisine", "Where do you like to eat?", catalogue="cuisine")],
    )
    session = guided_session_start(
        dataset=people, user_key="u1", question_set=question_set_get(people, "drinks")
    )
    assert _say(session, "greek")["prompt"] == "So you like greek. Is that right?"


def test_a_shared_name_is_asked_back_as_a_choice(people, session) -> None:
    turn = _say(session, "the giants")
    assert turn["choices"] == ["New York Giants", "San Francisco Giants"]
    assert turn["prompt"] == "Which one do you mean: New York Giants or San Francisco Giants?"
    turn = _say(session, "new york", "yes")
    assert [k.value for k in known_preferences(people, "u1")] == ["New York Giants"]


def test_no_means_ask_again_and_nothing_is_stored(people, session) -> None:
    turn = _say(session, "the warriors", "no")
    assert turn["prompt"] == "Let's try again. Which sports team do you follow?"
    assert known_preferences(people, "u1") == []


def test_a_team_the_catalogue_does_not_know_is_said_back_as_written_and_stored_unresolved(
    people, session
) -> None:
    turn = _say(session, "the zebras")
    assert turn["prompt"] == (
        "So you follow the zebras. I don't know that team yet, so I'll keep it as you said it. Is that right?"
    )
    turn = _say(session, "yes", "stop")
    assert turn["learned"] == [{"key": "team", "value": "the zebras", "polarity": "like", "resolved": False}]
    assert turn["prompt"] == "Okay, I'll stop here. I learned team: the zebras (as you said it)."
    assert [(k.value, k.resolved) for k in known_preferences(people, "u1")] == [("the zebras", False)]


def test_an_answer_to_a_choice_that_picks_none_is_asked_again(session) -> None:
    turn = _say(session, "the giants", "hmm hard to say")
    assert turn["prompt"].startswith("Sorry, I didn't catch a team in that.")
    assert turn["status"] == "asking"


def test_a_negated_answer_is_stored_as_a_dislike(people, session) -> None:
    turn = _say(session, "i don't like the new york jets")
    assert turn["prompt"] == "So you don't like New York Jets. Is that right?"
    _say(session, "yes")
    assert [(k.value, k.polarity) for k in known_preferences(people, "u1")] == [("New York Jets", "dislike")]


def test_skip_moves_on_and_stop_ends_with_what_was_learned(people, session) -> None:
    turn = _say(session, "skip", "austin", "yes", "stop")
    assert turn["status"] == "stopped" and turn["ended"]
    assert turn["prompt"] == "Okay, I'll stop here. I learned city: Austin, TX."
    assert [entry["outcome"] for entry in turn["transcript"]] == [
        "skipped",
        "understood",
        "stored",
        "stopped",
    ]


def test_an_ended_session_refuses_more_answers(session) -> None:
    _say(session, "stop")
    with pytest.raises(ApplicationError, match="has ended") as refused:
        guided_session_answer(session=GuidedSession.objects.get(), answer="the warriors")
    assert refused.value.status == 409


def test_a_session_for_an_unknown_person_is_refused(people) -> None:
    with pytest.raises(ApplicationError) as refused:
        guided_session_start(dataset=people, user_key="ghost", question_set=QuestionSet.objects.get())
    assert refused.value.extra["field"] == "user_id"
    assert not GuidedSession.objects.exists()


def test_question_sets_that_loop_or_name_unknown_things_are_refused_and_nothing_is_written(people) -> None:
    loop = [
        QuestionInput("a", "First?", catalogue="team", next_key="b"),
        QuestionInput("b", "Second?", catalogue="city", next_key="a"),
    ]
    cases = [
        (loop, "loop back"),
        ([QuestionInput("a", "?", catalogue="planets")], "no catalogue 'planets'"),
        ([QuestionInput("a", "?", catalogue="team", next_key="z")], "no question with key 'z'"),
        (
            [QuestionInput("a", "?", catalogue="team"), QuestionInput("a", "?", catalogue="city")],
            "appears twice",
        ),
        ([QuestionInput("a", "?")], "needs a catalogue"),
    ]
    before = Question.objects.count()
    for questions, message in cases:
        with pytest.raises(ApplicationError, match=message):
            question_set_save(dataset=people, name="broken", domain="general", questions=questions)
    assert Question.objects.count() == before and not QuestionSet.objects.filter(name="broken").exists()


def test_a_question_set_follows_its_next_links(people) -> None:
    question_set = question_set_save(
        dataset=people,
        name="music-first",
        domain="music",
        questions=[
            QuestionInput("team", "Team?", "sports", catalogue="team", next_key="genre"),
            QuestionInput("city", "City?", "weather", catalogue="city"),
            QuestionInput("genre", "Music?", catalogue="genre"),
        ],
    )
    question_set.refresh_from_db()
    assert question_set.first_question.key == "team"
    session = guided_session_start(dataset=people, user_key="u2", question_set=question_set)
    assert _say(session, "the warriors", "yes")["question"]["key"] == "genre"
    assert _say(GuidedSession.objects.get(), "jazz", "yes")["status"] == "done"
