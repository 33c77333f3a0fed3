"""What a guided session says next, as one JSON-ready object: the browser form and the API both show it."""

from __future__ import annotations

from typing import Any

from teachable.models import GuidedSession, Polarity, Question


def _learned(session: GuidedSession) -> list[dict[str, Any]]:
    return [
        {
            "key": entry["key"],
            "value": entry["value"],
            "polarity": entry.get("polarity", Polarity.LIKE),
            "resolved": entry.get("resolved", True),  # sessions from before the flag stored resolved ones
        }
        for entry in session.transcript
        if entry.get("outcome") == "stored"
    ]


def _summary(learned: list[dict[str, Any]]) -> str:
    if not learned:
        return "I did not learn anything new this time."
    said = "; ".join(
        f"{item['key']}: {'not ' if item['polarity'] == Polarity.DISLIKE else ''}{item['value']}"
        + ("" if item["resolved"] else " (as you said it)")
        for item in learned
    )
    return f"I learned {said}."


def _confirmation(question: Question | None, understood: dict[str, Any]) -> str:
    """What was understood, said back in the question's own words: "So you live in Springfield, MO."
    after "Which city do you live in?", not "So you like Springfield, MO.". A name the catalogue does
    not know is said back as written, saying so: it is stored unresolved."""
    value = str(understood["value"])
    confirm = question.confirm if question is not None else ""
    if understood.get("polarity") == Polarity.DISLIKE:
        # What is stored is a dislike, whatever the question asked: said as one.
        said = f"So you don't like {value}."
    else:
        said = (confirm or "So you like {value}.").replace("{value}", value)
    if understood.get("resolved") is False and question is not None:
        said += f" I don't know that {question.key} yet, so I'll keep it as you said it."
    return f"{said} Is that right?"


def guided_prompt(session: GuidedSession) -> str:
    """What the session says now: the open question, a choice among names, a confirmation of what it
    understood, or the closing words. The transcript keeps it beside the answer it got."""
    last = session.transcript[-1] if session.transcript else {}
    question = session.question
    pending = session.pending or {}
    choices = [choice["value"] for choice in pending.get("choose", [])]
    if session.status == GuidedSession.Status.DONE:
        return f"Thanks! {_summary(_learned(session))}"
    if session.status == GuidedSession.Status.STOPPED:
        return f"Okay, I'll stop here. {_summary(_learned(session))}"
    if session.status == GuidedSession.Status.CONFIRMING:
        return _confirmation(question, pending["understood"])
    if choices:
        return f"Which one do you mean: {' or '.join(choices)}?"
    if question is None:
        return ""
    if last.get("outcome") == "unresolved":
        return f"Sorry, I didn't catch a {question.key} in that. {question.text}"
    if last.get("outcome") == "rejected":
        return f"Let's try again. {question.text}"
    return question.text


def guided_session_turn(session: GuidedSession) -> dict[str, Any]:
    """The session's state and its next prompt."""
    question = session.question
    pending = session.pending or {}
    choices = [choice["value"] for choice in pending.get("choose", [])]
    learned = _learned(session)
    prompt = guided_prompt(session)
    return {
        "id": session.pk,
        "user_id": session.user_key,
        "question_set": session.question_set.name,
        "status": session.status,
        "prompt": prompt,
        "question": {"key": question.key, "text": question.text}
        if question is not None
        and session.status
        in (
            GuidedSession.Status.ASKING,
            GuidedSession.Status.CONFIRMING,
        )
        else None,
        "choices": choices,
        "understood": pending.get("understood"),
        "learned": learned,
        "transcript": session.transcript,
        "ended": session.status in (GuidedSession.Status.DONE, GuidedSession.Status.STOPPED),
    }
