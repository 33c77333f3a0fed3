"""Guided Q&A ("learn my preferences"): question sets that dataset admins edit, and sessions that walk
one person through a set, one answer at a time, the same for the browser form and for an assistant
calling the API turn by turn.

A session asks, reads the free-text answer against the question's catalogue (fuzzy over the answer's
word n-grams), says what it understood and waits for yes or no; "skip" moves on and "stop" ends it.
A name that fits several entities ("the giants") is asked back as a choice. A name the catalogue does
not know is said back as written, saying so, and once confirmed is stored unresolved (a catalogue
that learns it later resolves it). Only confirmed answers reach the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import Dataset
from models_app.ml.preferences import is_negated
from selflearn_site.exceptions import ApplicationError
from teachable.matching import Entity, choose, normalise
from teachable.models import AnswerType, Catalogue, GuidedSession, Polarity, Question, QuestionSet, Source
from teachable.payload import guided_prompt
from teachable.selectors import assistant_user_exists, catalogue_index
from teachable.services.preferences import PreferenceInput, preference_learn

YES = frozenset({"yes", "yeah", "yep", "yup", "correct", "right", "that s right", "sure", "ok", "okay"})
NO = frozenset({"no", "nope", "wrong", "not right", "that s wrong"})
SKIP = frozenset({"skip", "pass", "next", "i don t know", "don t know", "no idea", "not sure", "skip it"})
STOP = frozenset({"stop", "quit", "cancel", "enough", "that s all", "i m done", "done", "stop asking"})
MAX_QUESTIONS = 50


@dataclass(frozen=True)
class QuestionInput:
    key: str
    text: str
    domain: str = ""  # empty: the set's domain
    answer_type: str = AnswerType.ENTITY
    catalogue: str | None = None  # a catalogue name; entity answers need one
    next_key: str | None = None  # the key of the question that follows; None: the one listed next
    confirm: str = ""  # how an understood answer is said back, with {value}; empty: "So you like {value}."


def question_set_save(
    *, dataset: Dataset, name: str, domain: str, questions: list[QuestionInput]
) -> QuestionSet:
    """Create or replace the question set ``name``: its questions in order, each leading to
    ``next_key`` (or the next one listed, the last one ending the set). Refused, with nothing
    written, on an unknown catalogue or next key, a repeated key, or a cycle."""
    if not name or not domain:
        raise ApplicationError(
            "name and domain are required.", extra={"field": "name" if not name else "domain"}
        )
    if not questions:
        raise ApplicationError("A question set needs at least one question.", extra={"field": "questions"})
    if len(questions) > MAX_QUESTIONS:
        raise ApplicationError(f"At most {MAX_QUESTIONS} questions per set.", extra={"field": "questions"})
    keys = [q.key.strip() for q in questions]
    for number, (key, question) in enumerate(zip(keys, questions, strict=True)):
        where = f"questions[{number}]"
        if not key or not question.text.strip():
            raise ApplicationError(f"{where}: key and text are required.", extra={"field": "questions"})
        if keys.count(key) > 1:
            raise ApplicationError(f"{where}.key {key!r} appears twice.", extra={"field": "questions"})
        if question.answer_type not in AnswerType.values:
            raise ApplicationError(
                f"{where}.answer_type must be one of {', '.join(AnswerType.values)}.",
                extra={"field": "questions"},
            )
        if question.answer_type == AnswerType.ENTITY and not question.catalogue:
            raise ApplicationError(
                f"{where}.catalogue: an entity answer needs a catalogue.",
                extra={"field": "questions"},
            )
        if question.catalogue and not Catalogue.objects.filter(name=question.catalogue).exists():
            raise ApplicationError(
                f"{where}.catalogue: no catalogue {question.catalogue!r}.",
                extra={"field": "questions"},
            )
        if question.confirm.strip() and "{value}" not in question.confirm:
            raise ApplicationError(
                f"{where}.confirm must say where the answer goes with {{value}}, as in "
                "“So you live in {value}.”",
                extra={"field": "questions"},
            )
        if question.next_key is not None and question.next_key not in keys:
            raise ApplicationError(
                f"{where}.next: no question with key {question.next_key!r} in this set.",
                extra={"field": "questions"},
            )
    following = {
        key: (q.next_key if q.next_key is not None else (keys[n + 1] if n + 1 < len(keys) else None))
        for n, (key, q) in enumerate(zip(keys, questions, strict=True))
    }
    _refuse_cycles(following)
    catalogues = {
        c.name: c for c in Catalogue.objects.filter(name__in={q.catalogue for q in questions if q.catalogue})
    }
    with transaction.atomic():
        question_set, _ = QuestionSet.objects.update_or_create(
            dataset=dataset, name=name, defaults={"domain": domain, "first_question": None}
        )
        question_set.questions.all().delete()
        made = {
            key: Question.objects.create(
                question_set=question_set,
                key=key,
                domain=q.domain.strip(),
                text=q.text.strip(),
                confirm=q.confirm.strip(),
                answer_type=q.answer_type,
                catalogue=catalogues.get(q.catalogue or ""),
            )
            for key, q in zip(keys, questions, strict=True)
        }
        for key, made_question in made.items():
            next_key = following[key]
            if next_key is not None:
                made_question.next_question = made[next_key]
                made_question.save(update_fields=["next_question"])
        question_set.first_question = made[keys[0]]
        question_set.save(update_fields=["first_question"])
    return question_set


def _refuse_cycles(following: dict[str, str | None]) -> None:
    """A session must end: following "next" from any question reaches the end of the set."""
    for start in following:
        seen: set[str] = set()
        key: str | None = start
        while key is not None:
            if key in seen:
                raise ApplicationError(
                    f"questions: the next links loop back to {key!r}; a session would never end.",
                    extra={"field": "questions"},
                )
            seen.add(key)
            key = following[key]


DEFAULT_QUESTIONS = [
    QuestionInput(
        "team",
        "Which sports team do you follow?",
        "sports",
        catalogue="team",
        confirm="So you follow {value}.",
    ),
    QuestionInput(
        "city", "Which city do you live in?", "weather", catalogue="city", confirm="So you live in {value}."
    ),
    QuestionInput(
        "cuisine",
        "What kind of food do you like?",
        "food",
        catalogue="cuisine",
        confirm="So you like {value} food.",
    ),
    QuestionInput(
        "genre", "What music do you like?", "music", catalogue="genre", confirm="So you like {value}."
    ),
]


def question_sets_create_defaults(*, dataset: Dataset) -> QuestionSet:
    """ "learn-my-preferences": team, home city, cuisine and music genre, in that order."""
    return question_set_save(
        dataset=dataset, name="learn-my-preferences", domain="general", questions=DEFAULT_QUESTIONS
    )


# ---------------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------------


def guided_session_start(
    *, dataset: Dataset, user_key: str, question_set: QuestionSet, actor: User | None = None
) -> GuidedSession:
    if not user_key or not assistant_user_exists(dataset, user_key):
        raise ApplicationError(
            f"user_id: no assistant user {user_key!r} in {dataset.name}.", extra={"field": "user_id"}
        )
    if question_set.first_question is None:
        raise ApplicationError("This question set has no questions.", extra={"field": "question_set"})
    return GuidedSession.objects.create(
        dataset=dataset,
        user_key=user_key,
        question_set=question_set,
        question=question_set.first_question,
        created_by=actor,
    )


def _words(text: str) -> str:
    return " ".join(normalise(text.replace("'", " ")).split())


def _entity_dict(entity: Entity) -> dict[str, Any]:
    return {"value": entity.value, "entity": entity.pk}


def _read_answer(question: Question, answer: str, candidates: list[dict[str, Any]] | None) -> dict[str, Any]:
    """What the answer says: {"understood": {...}} or {"choose": [...]} or {"unresolved": True}. An
    answer the question's catalogue does not know is understood as written, ``"resolved": False``;
    only an answer to a choice that picks none of the names offered, nor another, is unresolved."""
    # "i don't like the jets", "not jazz": the same rule as statements read from the logs.
    polarity = Polarity.DISLIKE if is_negated(answer) else Polarity.LIKE
    if question.answer_type == AnswerType.TEXT:
        value = answer.strip()[:200]
        return (
            {"understood": {"value": value, "entity": None, "polarity": polarity}}
            if value
            else {"unresolved": True}
        )
    index = catalogue_index(question.catalogue.name) if question.catalogue else None
    if index is None:
        return {"unresolved": True}
    if candidates:
        # The person is choosing among the names just offered: any words that single one out do.
        offered = [e for e in index.entities if e.pk in {c["entity"] for c in candidates}]
        chosen = choose(answer, offered)
        if chosen is not None:
            return {"understood": {**_entity_dict(chosen), "polarity": polarity}}
    mention = index.find(answer)
    if mention is None:
        if candidates:
            return {"unresolved": True}
        value = answer.strip()[:200]
        return {"understood": {"value": value, "entity": None, "polarity": polarity, "resolved": False}}
    if mention.ambiguous:
        return {"choose": [_entity_dict(e) for e in mention.entities]}
    return {"understood": {**_entity_dict(mention.entities[0]), "polarity": polarity}}


def _advance(session: GuidedSession) -> None:
    following = session.question.next_question if session.question else None
    session.question = following
    session.pending = None
    session.status = GuidedSession.Status.ASKING if following else GuidedSession.Status.DONE


def guided_session_answer(*, session: GuidedSession, answer: str, actor: User | None = None) -> GuidedSession:
    """Take one answer; the session then holds the next prompt (see teachable.selectors
    guided_session_turn). Answering an ended session is refused (409)."""
    if session.status in (GuidedSession.Status.DONE, GuidedSession.Status.STOPPED):
        raise ApplicationError(f"This session has ended ({session.status}); start a new one.", status=409)
    if not isinstance(answer, str) or not answer.strip():
        raise ApplicationError("answer must be a non-empty string.", extra={"field": "answer"})
    if len(answer) > 500:
        raise ApplicationError("answer is longer than 500 characters.", extra={"field": "answer"})
    words = _words(answer)
    with transaction.atomic():
        # The row as it is now, locked: the caller's copy may be stale (two answers at once).
        session = (
            GuidedSession.objects.select_for_update(of=("self",))
            .select_related("question__catalogue")
            .get(pk=session.pk)
        )
        if session.status in (GuidedSession.Status.DONE, GuidedSession.Status.STOPPED):
            raise ApplicationError(f"This session has ended ({session.status}); start a new one.", status=409)
        question = session.question
        assert question is not None  # an asking or confirming session always has its question
        # What the session said just before this answer: the question, a choice or a confirmation.
        entry: dict[str, Any] = {"key": question.key, "question": guided_prompt(session), "answer": answer}
        pending = session.pending or {}
        if words in STOP:
            session.status = GuidedSession.Status.STOPPED
            session.pending = None
            entry["outcome"] = "stopped"
        elif words in SKIP:
            entry["outcome"] = "skipped"
            _advance(session)
        elif session.status == GuidedSession.Status.CONFIRMING and words in YES:
            understood = pending["understood"]
            preference = preference_learn(
                dataset=session.dataset,
                user_key=session.user_key,
                data=PreferenceInput(
                    domain=question.domain or session.question_set.domain,
                    key=question.key,
                    value=understood["value"],
                    polarity=understood["polarity"],
                    source=Source.GUIDED,
                ),
                actor=actor,
            )
            entry.update(
                outcome="stored",
                value=preference.value,
                polarity=preference.polarity,
                resolved=preference.resolved,
            )
            _advance(session)
        elif session.status == GuidedSession.Status.CONFIRMING and words in NO:
            entry["outcome"] = "rejected"
            session.status = GuidedSession.Status.ASKING
            session.pending = None
        else:
            reading = _read_answer(question, answer, pending.get("choose"))
            if "understood" in reading:
                session.status = GuidedSession.Status.CONFIRMING
                session.pending = reading
                entry.update(outcome="understood", value=reading["understood"]["value"])
            elif "choose" in reading:
                session.status = GuidedSession.Status.ASKING
                session.pending = reading
                entry["outcome"] = "ambiguous"
            else:
                session.status = GuidedSession.Status.ASKING
                session.pending = None
                entry["outcome"] = "unresolved"
        session.transcript = [*session.transcript, entry]
        session.save()
    return session


def guided_session_stop(*, session: GuidedSession) -> GuidedSession:
    if session.status not in (GuidedSession.Status.DONE, GuidedSession.Status.STOPPED):
        session.status = GuidedSession.Status.STOPPED
        session.pending = None
        session.save(update_fields=["status", "pending", "updated_at"])
    return session
