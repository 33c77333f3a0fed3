"""What a guided session says next, as one JSON-ready object: the browser form and the API both show it."""

from __future__ import annotations

from typing import Any

from teachable.models import GuidedSession, Polarity


def _learned(session: GuidedSession) -> list[dict[str, Any]]:
    return [
        {"key": entry["key"], "value": entry["value"], "polarity": entry.get("polarity", Polarity.LIKE)}
        for entry in session.transcript
        if entry.get("outcome") == "stored"
    ]


def _summary(learned: list[dict[str, Any]]) -> str:
    if not learned:
        return "I did not learn anything new this time."
    said = "; ".join(
        f"{item['key']}: {'not ' if item['polarity'] == Polarity.DISLIKE else ''}{item['value']}"
        for item in learned
    )
    return f"I learned {said}."


def guided_session_turn(session: GuidedSession) -> dict[str, Any]:
    """The session's state and its next prompt."""
    last = session.transcript[-1] if session.transcript else {}
    question = session.question
    pending = session.pending or {}
    choices = [choice["value"] for choice in pending.get("choose", [])]
    learned = _learned(session)
    if session.status == GuidedSession.Status.DONE:
        prompt = f"Thanks! {_summary(learned)}"
    elif session.status == GuidedSession.Status.STOPPED:
        prompt = f"Okay, I'll stop here. {_summary(learned)}"
    elif session.status == GuidedSession.Status.CONFIRMING:
        understood = pending["understood"]
        verb = "don't like" if understood["polarity"] == Polarity.DISLIKE else "like"
        prompt = f"So you {verb} {understood['value']}. Is that right?"
    elif choices:
        prompt = f"Which one do you mean: {' or '.join(choices)}?"
    elif last.get("outcome") == "unresolved" and question is not None:
        prompt = f"Sorry, I didn't catch a {question.key} in that. {question.text}"
    elif last.get("outcome") == "rejected" and question is not None:
        prompt = f"Let's try again. {question.text}"
    else:
        prompt = question.text if question is not None else ""
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
