"""Reads of the preference store: what is known about a person, the assistant users of a dataset,
question sets, sessions, and the in-memory catalogue indexes the resolver matches against."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotations.models import Dataset
from annotations.selectors import assistant_user_dialogues, assistant_user_keys
from selflearn_site.exceptions import ApplicationError
from selflearn_site.prepared import PreparedRead
from selflearn_site.revision_cache import RevisionCache
from teachable.matching import CatalogueIndex, Entity, Known, Resolution, Rule, resolve_reading
from teachable.models import (
    Catalogue,
    CatalogueEntry,
    GuidedSession,
    Polarity,
    Preference,
    PreferenceEvent,
    QuestionSet,
    ResolutionRule,
    TeachableMoment,
)

LIKED_VALUES = 50  # a person's newest likes that the query rewriter reads
_indexes: dict[str, tuple[UUID, CatalogueIndex]] = {}
_lock = threading.Lock()


def catalogue_index(name: str, stamp: UUID | None = None) -> CatalogueIndex | None:
    """The index of catalogue ``name`` (None if there is none), built once per change per process.
    Without ``stamp``, one small query tells whether the cached index is still current."""
    if stamp is None:
        stamp = Catalogue.objects.filter(name=name).values_list("stamp", flat=True).first()
        if stamp is None:
            return None
    cached = _indexes.get(name)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    entries = CatalogueEntry.objects.filter(catalogue__name=name).values_list("pk", "value", "aliases", "tag")
    index = CatalogueIndex(
        [Entity(pk, value, tuple(aliases or ()), tag) for pk, value, aliases, tag in entries]
    )
    with _lock:
        _indexes[name] = (stamp, index)
    return index


def catalogue_list() -> QuerySet[Catalogue]:
    return Catalogue.objects.annotate(entry_count=Count("entries")).order_by("name")


def assistant_user_exists(dataset: Dataset, user_key: str) -> bool:
    """Someone the dataset's logs speak of, or who was taught something already."""
    return (
        Preference.objects.filter(dataset=dataset, user_key=user_key).exists()
        or assistant_user_dialogues(dataset, user_key).exists()
    )


def assistant_user_require(dataset: Dataset, user_key: str) -> str:
    """``user_key`` if the dataset knows that person; else 404 naming the field."""
    if not user_key or not assistant_user_exists(dataset, user_key):
        raise ApplicationError(
            f"user_id: no assistant user {user_key!r} in {dataset.name}.",
            extra={"field": "user_id"},
            status=404,
        )
    return user_key


def assistant_users(dataset: Dataset, q: str = "") -> list[dict[str, Any]]:
    """Every assistant user of the dataset (from its logs, or taught without logs), each with
    ``dialogue_count`` and ``preference_count`` (active ones), by key."""
    users: dict[str, dict[str, Any]] = {
        row["user_key"]: {
            "user_key": row["user_key"],
            "dialogue_count": row["dialogue_count"],
            "preference_count": 0,
        }
        for row in assistant_user_keys(dataset, q)
    }
    preferences = Preference.objects.filter(dataset=dataset, active=True)
    if q:
        preferences = preferences.filter(user_key__icontains=q)
    for row in preferences.values("user_key").annotate(count=Count("id")):
        entry = users.setdefault(
            row["user_key"], {"user_key": row["user_key"], "dialogue_count": 0, "preference_count": 0}
        )
        entry["preference_count"] = row["count"]
    return [users[key] for key in sorted(users)]


def preference_list(
    dataset: Dataset, user_key: str, *, include_inactive: bool = False
) -> QuerySet[Preference]:
    preferences = Preference.objects.filter(dataset=dataset, user_key=user_key)
    if not include_inactive:
        preferences = preferences.filter(active=True)
    return preferences.select_related("entity", "turn__dialogue").order_by("domain", "key", "-created_at")


def preference_get(dataset: Dataset, pk: int) -> Preference:
    preference = Preference.objects.filter(dataset=dataset, pk=pk).first()
    if preference is None:
        raise Http404("No such preference.")
    return preference


def preference_events(dataset: Dataset, user_key: str) -> QuerySet[PreferenceEvent]:
    return (
        PreferenceEvent.objects.filter(preference__dataset=dataset, preference__user_key=user_key)
        .select_related("preference", "actor")
        .order_by("-at", "-id")
    )


def known_preferences(dataset: Dataset, user_key: str) -> list[Known]:
    """The person's active preferences as the resolver reads them (one indexed query, compiled once per
    process: the served resolver asks it for each person it meets)."""
    return [Known(*row) for row in _known_rows.rows(dataset.pk, user_key)]


_known_rows = PreparedRead(
    lambda dataset_pk, user_key: Preference.objects.filter(
        dataset_id=dataset_pk, user_key=user_key, active=True
    ).values_list("pk", "domain", "key", "value", "polarity", "resolved"),
    -1,
    "user-key-of-no-one",
)


def resolution_rules(dataset: Dataset) -> list[Rule]:
    rows = ResolutionRule.objects.filter(dataset=dataset).values_list(
        "intent", "slot_type", "domain", "key", "catalogue__name"
    )
    return [Rule(*row) for row in rows]


def resolution_rule_list(dataset: Dataset) -> QuerySet[ResolutionRule]:
    return ResolutionRule.objects.filter(dataset=dataset).select_related("catalogue")


def question_set_list(dataset: Dataset) -> QuerySet[QuestionSet]:
    return (
        QuestionSet.objects.filter(dataset=dataset)
        .annotate(question_count=Count("questions", distinct=True))
        .select_related("first_question")
        .order_by("name")
    )


def question_set_get(dataset: Dataset, name: str) -> QuestionSet:
    question_set = QuestionSet.objects.filter(dataset=dataset, name=name).first()
    if question_set is None:
        raise ApplicationError(
            f"question_set: no question set {name!r} in {dataset.name}.",
            extra={"field": "question_set"},
            status=404,
        )
    return question_set


def guided_session_get(dataset: Dataset, pk: int) -> GuidedSession:
    session = (
        GuidedSession.objects.filter(dataset=dataset, pk=pk)
        .select_related("question__catalogue", "question_set")
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def guided_session_list(dataset: Dataset, user_key: str) -> QuerySet[GuidedSession]:
    return GuidedSession.objects.filter(dataset=dataset, user_key=user_key).select_related("question_set")


def moment_list(
    dataset: Dataset, user_key: str | None = None, status: str | None = "open"
) -> QuerySet[TeachableMoment]:
    moments = TeachableMoment.objects.filter(dataset=dataset)
    if user_key is not None:
        moments = moments.filter(user_key=user_key)
    if status:
        moments = moments.filter(status=status)
    return moments.select_related("turn__dialogue").order_by("-created_at", "id")


def moment_get(dataset: Dataset, pk: int) -> TeachableMoment:
    moment = TeachableMoment.objects.filter(dataset=dataset, pk=pk).select_related("turn", "dataset").first()
    if moment is None:
        raise Http404("No such teachable moment.")
    return moment


def user_record(dataset: Dataset, user_key: str) -> dict[str, Any]:
    """Everything kept about one assistant user in the dataset, as one JSON-ready object."""
    return {
        "dataset": dataset.name,
        "user_id": user_key,
        "preferences": [
            {
                "id": p.pk,
                **p.as_dict(),
                "entity": p.entity.value if p.entity else None,
                "turn": {"dialogue": p.turn.dialogue.external_id, "turn": p.turn.external_id}
                if p.turn
                else None,
                "created_at": p.created_at.isoformat(),
                "updated_at": p.updated_at.isoformat(),
            }
            for p in preference_list(dataset, user_key, include_inactive=True)
        ],
        "events": [
            {
                "preference": e.preference_id,
                "action": e.action,
                "actor": e.actor.username if e.actor else None,
                "before": e.before,
                "after": e.after,
                "at": e.at.isoformat(),
            }
            for e in preference_events(dataset, user_key)
        ],
        "sessions": [
            {
                "id": s.pk,
                "question_set": s.question_set.name,
                "status": s.status,
                "transcript": s.transcript,
                "created_at": s.created_at.isoformat(),
            }
            for s in guided_session_list(dataset, user_key)
        ],
        "moments": [
            {
                "id": m.pk,
                "kind": m.kind,
                "question": m.question,
                "status": m.status,
                "proposed_value": m.proposed_value,
                "candidates": m.candidates,
                "evidence": m.evidence,
                "turn": {"dialogue": m.turn.dialogue.external_id, "turn": m.turn.external_id},
            }
            for m in moment_list(dataset, user_key, status=None)
        ],
    }


def dataset_preference_counts(dataset: Dataset) -> dict[str, int]:
    counts = Preference.objects.filter(dataset=dataset).aggregate(
        active=Count("id", filter=Q(active=True)), users=Count("user_key", distinct=True)
    )
    return {"active": counts["active"], "users": counts["users"]}


def reading_resolve(
    dataset: Dataset, user_key: str, intent: str | None, slots: list[dict[str, Any]]
) -> Resolution:
    """The assistant's reading completed by the person's preferences (see teachable.matching).

    The hot path of every request an assistant resolves: the person's preferences and the dataset's
    rules with their catalogues' stamps are kept in the process at the dataset's serving revision
    (``selflearn_site.revision_cache``), so a warm request reads nothing; a catalogue index is rebuilt
    only when its catalogue changed. A person with no preference is looked up in the logs (404 if
    unknown; once found, kept)."""
    revision = dataset.serving_revision
    known = _known.get((dataset.pk, user_key), revision, lambda: known_preferences(dataset, user_key))
    if not known:
        _people.get((dataset.pk, user_key), revision, lambda: assistant_user_require(dataset, user_key))
    rows = [row for row in _rules.get(dataset.pk, revision, lambda: _rule_rows(dataset)) if row[0] == intent]
    rules = [Rule(*row[:5]) for row in rows]
    catalogues = {}
    for *_, name, stamp in rows:
        if name and (index := catalogue_index(name, stamp)) is not None:
            catalogues[name] = index
    return resolve_reading(intent, slots, known, rules, catalogues)


# The served resolver's memory (``reading_resolve``): each person's active preferences, the people
# found in the logs, and each dataset's rules.
_known: RevisionCache[list[Known]] = RevisionCache(size=100_000)
_people: RevisionCache[str] = RevisionCache(size=100_000)
_rules: RevisionCache[list[tuple[Any, ...]]] = RevisionCache(size=64)


def _rule_rows(dataset: Dataset) -> list[tuple[Any, ...]]:
    """Every rule of the dataset with its catalogue's name and stamp (a catalogue's change bumps every
    dataset's serving revision, so the stamps kept here are current)."""
    return list(
        ResolutionRule.objects.filter(dataset=dataset).values_list(
            "intent", "slot_type", "domain", "key", "catalogue__name", "catalogue__stamp"
        )
    )


def serving_forget() -> None:
    """Forget what the served resolver kept (tests that change rows behind the services' back)."""
    for cache in (_known, _people, _rules):
        cache.clear()


def liked_keys(dataset: Dataset) -> set[tuple[str, str, str]]:
    """(user, domain, key) of every active like in the dataset, resolved or kept as written."""
    rows = Preference.objects.filter(dataset=dataset, active=True, polarity=Polarity.LIKE)
    return set(rows.values_list("user_key", "domain", "key").distinct())


def liked_values(dataset: Dataset, user_key: str) -> list[str]:
    """What the person taught the assistant they like (active, liked), newest first, values no
    catalogue knows as they said them: the query rewriter's personal layer puts a misheard name right
    with them."""
    return [value for (value,) in _liked_rows.rows(dataset.pk, user_key)]


_liked_rows = PreparedRead(
    lambda dataset_pk, user_key: (
        Preference.objects.filter(
            dataset_id=dataset_pk, user_key=user_key, active=True, polarity=Polarity.LIKE
        )
        .order_by("-created_at")
        .values_list("value")[:LIKED_VALUES]
    ),
    -1,
    "user-key-of-no-one",
)
