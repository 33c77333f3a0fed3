"""Writing preferences: learning one (with the supersede rules), correcting, deleting, forgetting a
person, and resolving values kept as written once a catalogue learns them. Every change writes a
PreferenceEvent in the same transaction, so the record cannot miss one.

Keys are open ("team", "film", "actor", ...): a catalogue named after the key resolves the value where
it knows it; a value no catalogue knows is kept as the person said it, marked unresolved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotations.models import Dataset, Turn
from annotations.services import dataset_serving_changed
from selflearn_site.exceptions import ApplicationError
from teachable.matching import Mention, normalise
from teachable.models import (
    Catalogue,
    GuidedSession,
    Polarity,
    Preference,
    PreferenceEvent,
    Source,
    TeachableMoment,
)
from teachable.selectors import assistant_user_exists, catalogue_index

FIELD_LENGTH = {"domain": 64, "key": 64, "value": 200}
BATCH = 1000  # preferences written per statement when a catalogue resolves many


@dataclass(frozen=True)
class PreferenceInput:
    domain: str
    key: str
    value: str
    polarity: str = Polarity.LIKE
    source: str = Source.REVIEWER
    confidence: float = 1.0


def _clean(data: PreferenceInput) -> PreferenceInput:
    """Trimmed, checked fields (the value is resolved by ``value_resolve``)."""
    fields: dict[str, Any] = {}
    for name, limit in FIELD_LENGTH.items():
        text = getattr(data, name)
        if not isinstance(text, str) or not text.strip():
            raise ApplicationError(f"{name} must be a non-empty string.", extra={"field": name})
        if len(text.strip()) > limit:
            raise ApplicationError(f"{name} is longer than {limit} characters.", extra={"field": name})
        fields[name] = text.strip()
    if data.polarity not in Polarity.values:
        raise ApplicationError(
            f"polarity must be one of {', '.join(Polarity.values)}, got {data.polarity!r}.",
            extra={"field": "polarity"},
        )
    if data.source not in Source.values:
        raise ApplicationError(
            f"source must be one of {', '.join(Source.values)}, got {data.source!r}.",
            extra={"field": "source"},
        )
    if not 0.0 <= float(data.confidence) <= 1.0:
        raise ApplicationError("confidence must be between 0 and 1.", extra={"field": "confidence"})
    return PreferenceInput(
        fields["domain"], fields["key"], fields["value"], data.polarity, data.source, float(data.confidence)
    )


def value_resolve(key: str, value: str, *, strict: bool = True) -> tuple[str, int | None]:
    """(value, catalogue entry pk) for ``value`` of ``key``: the catalogue named ``key``, where there
    is one, gives its canonical value; a value it does not know, or a key without a catalogue, stands
    as written with no entry (unresolved). A name that fits several entries ("the giants") is refused
    naming them when ``strict`` (someone can say which), else kept as written too."""
    index = catalogue_index(key)
    if index is None:
        return value, None
    exact = index.exact(value)
    mention: Mention | None = None
    if exact:
        entities = exact
    else:
        mention = index.find(value)
        entities = list(mention.entities) if mention else []
    if not entities:
        return value, None
    if len(entities) > 1:
        if not strict:
            return value, None
        # The message is shown beside the field it is about (``extra``): no "value:" in front of it.
        names = " or ".join(e.value for e in entities)
        raise ApplicationError(f"“{value}” could be {names}; say which.", extra={"field": "value"})
    return entities[0].value, entities[0].pk


def _same(first: str, second: str) -> bool:
    """The same value however it is cased or punctuated ("the zebras", "The Zebras!")."""
    return first == second or normalise(first) == normalise(second)


def _event(preference: Preference, action: str, actor: User | None, before: Any, after: Any) -> None:
    """Record a change (every change of a preference comes through here, in its transaction), and tell
    the served endpoints' processes to read the person's preferences again."""
    PreferenceEvent.objects.create(
        preference=preference, action=action, actor=actor, before=before, after=after
    )
    dataset_serving_changed(dataset=preference.dataset_id)


def _retire(
    preference: Preference, actor: User | None, action: str, replacement: Preference | None = None
) -> None:
    before = preference.as_dict()
    preference.active = False
    preference.superseded_by = replacement
    preference.save(update_fields=["active", "superseded_by", "updated_at"])
    _event(preference, action, actor, before, preference.as_dict())


def preference_learn(
    *,
    dataset: Dataset,
    user_key: str,
    data: PreferenceInput,
    turn: Turn | None = None,
    actor: User | None = None,
    strict: bool = True,
) -> Preference:
    """Store what the person taught. A like supersedes the person's earlier like of the same key and
    withdraws a dislike of the same value; a dislike withdraws a like of the same value and stands
    beside other dislikes. Saying the same thing again only refreshes confidence and source.

    A value no catalogue knows is kept as written, ``resolved=False``. ``strict``: a name that fits
    several catalogue entries is refused (400 naming the field); otherwise (a reviewed label, say) it
    is kept as written too."""
    if not user_key or not assistant_user_exists(dataset, user_key):
        raise ApplicationError(
            f"user_id: no assistant user {user_key!r} in {dataset.name}.", extra={"field": "user_id"}
        )
    data = _clean(data)
    value, entity = value_resolve(data.key, data.value, strict=strict)
    with transaction.atomic():
        current = list(
            Preference.objects.select_for_update()
            .filter(dataset=dataset, user_key=user_key, domain=data.domain, key=data.key, active=True)
            .order_by("pk")
        )
        same = next((p for p in current if _same(p.value, value) and p.polarity == data.polarity), None)
        if same is not None:
            before = same.as_dict()
            same.confidence = max(same.confidence, data.confidence)
            same.source = data.source
            same.turn = turn or same.turn
            if entity is not None and not same.resolved:  # kept as written; now a catalogue knows it
                same.value, same.entity_id, same.resolved = value, entity, True
            same.save(
                update_fields=["confidence", "source", "turn", "value", "entity", "resolved", "updated_at"]
            )
            _event(same, PreferenceEvent.Action.CORRECT, actor, before, same.as_dict())
            return same
        retired = [p for p in current if _same(p.value, value)]  # the same value, the other polarity
        if data.polarity == Polarity.LIKE:
            retired += [p for p in current if p.polarity == Polarity.LIKE and not _same(p.value, value)]
        for old in retired:
            # Retire first: the partial unique constraints allow one active like per key.
            _retire(old, actor, PreferenceEvent.Action.SUPERSEDE)
        preference = Preference.objects.create(
            dataset=dataset,
            user_key=user_key,
            domain=data.domain,
            key=data.key,
            value=value,
            entity_id=entity,
            resolved=entity is not None,
            polarity=data.polarity,
            source=data.source,
            confidence=data.confidence,
            turn=turn,
        )
        for old in retired:
            old.superseded_by = preference
            old.save(update_fields=["superseded_by"])
        _event(preference, PreferenceEvent.Action.CREATE, actor, None, preference.as_dict())
    return preference


def preference_correct(*, preference: Preference, data: PreferenceInput, actor: User) -> Preference:
    """A reviewer's correction: the old preference is retired and the corrected one learned, with the
    reviewer as its source, so the record shows both."""
    if not preference.active:
        raise ApplicationError("This preference was superseded or deleted; correct the current one.")
    corrected = PreferenceInput(data.domain, data.key, data.value, data.polarity, Source.REVIEWER, 1.0)
    with transaction.atomic():
        _retire(preference, actor, PreferenceEvent.Action.CORRECT)
        return preference_learn(
            dataset=preference.dataset, user_key=preference.user_key, data=corrected, actor=actor
        )


def preference_delete(*, preference: Preference, actor: User) -> None:
    if not preference.active:
        raise ApplicationError("This preference was already superseded or deleted.")
    with transaction.atomic():
        _retire(preference, actor, PreferenceEvent.Action.DELETE)


def user_forget(*, dataset: Dataset, user_key: str) -> dict[str, int]:
    """Everything kept about one assistant user in the dataset, gone: preferences (with their
    history), guided sessions and teachable moments. Their dialogues are the dataset's logs and stay."""
    with transaction.atomic():
        sessions, _ = GuidedSession.objects.filter(dataset=dataset, user_key=user_key).delete()
        moments, _ = TeachableMoment.objects.filter(dataset=dataset, user_key=user_key).delete()
        preferences = Preference.objects.filter(dataset=dataset, user_key=user_key)
        count = preferences.count()
        preferences.delete()
        dataset_serving_changed(dataset=dataset)
    return {"preferences": count, "sessions": sessions, "moments": moments}


def preferences_resolve(*, catalogue: Catalogue) -> dict[str, int]:
    """The catalogue learned entries: every active preference of its key kept as written that now
    names exactly one entry (its value or an alias, however cased) takes that entry and its canonical
    value; a resolved one whose entry the catalogue no longer has is marked unresolved, its value kept.
    A differently worded value ("zebra chronicle" for "The Zebra Chronicles") is left as it is: no
    fuzzy guess changes what a person said without them. Call it in the transaction that changed the
    entries (``catalogues_load`` does); each change writes its event.

    One query reads the key's active preferences; one writes the preferences resolved to each entry,
    one those unresolved, however many people they are: a catalogue of films may resolve thousands."""
    index = catalogue_index(catalogue.name, catalogue.stamp)
    assert index is not None  # the catalogue exists: the caller holds it
    rows = list(
        Preference.objects.select_for_update()
        .filter(key=catalogue.name, active=True)
        .order_by("created_at", "pk")
    )
    mine: dict[tuple[int, str, str], list[Preference]] = {}
    for row in rows:
        mine.setdefault((row.dataset_id, row.user_key, row.domain), []).append(row)
    changed: list[Preference] = []
    events: list[PreferenceEvent] = []
    counts = {"resolved": 0, "unresolved": 0}
    now = timezone.now()
    # Unresolved ones, and resolved ones whose entry was deleted (their entity is set to null).
    for preference in [row for row in rows if not row.resolved or row.entity_id is None]:
        if not preference.active:
            continue  # an older wording of a value resolved earlier in this loop
        entities = index.exact(preference.value)
        before = preference.as_dict()
        if len(entities) == 1:
            entity = entities[0]
            theirs = mine[preference.dataset_id, preference.user_key, preference.domain]
            if not _resolve_onto(preference, entity.value, theirs):
                continue
            preference.value, preference.entity_id, preference.resolved = entity.value, entity.pk, True
            action = PreferenceEvent.Action.RESOLVE
        elif preference.resolved:
            preference.entity_id, preference.resolved = None, False
            action = PreferenceEvent.Action.UNRESOLVE
        else:
            continue
        changed.append(preference)
        events.append(
            PreferenceEvent(preference=preference, action=action, before=before, after=preference.as_dict())
        )
        counts["resolved" if preference.resolved else "unresolved"] += 1
    # One UPDATE per entity resolved to (people like the same films) and one for those unresolved:
    # bulk_update's CASE per row costs far more for thousands.
    by_entity: dict[int | None, list[int]] = {}
    for preference in changed:
        by_entity.setdefault(preference.entity_id, []).append(preference.pk)
    values = {preference.entity_id: preference.value for preference in changed}
    for entity_id, pks in by_entity.items():
        fields: dict[str, Any] = {"entity_id": entity_id, "resolved": entity_id is not None}
        if entity_id is not None:
            fields["value"] = values[entity_id]
        for start in range(0, len(pks), BATCH):
            Preference.objects.filter(pk__in=pks[start : start + BATCH]).update(**fields, updated_at=now)
    PreferenceEvent.objects.bulk_create(events, batch_size=BATCH)
    return counts


def _resolve_onto(preference: Preference, value: str, theirs: list[Preference]) -> bool:
    """Whether ``preference`` may take the canonical ``value``, ``theirs`` being the person's active
    preferences of the domain and key: they may have said the same entity in two wordings ("blade
    runner" liked, "Blade Runner" disliked). The newer statement wins, as when it was stated: an older
    one of the same value is retired (now, before the value it shares is written), superseded by the
    newer."""
    for other in theirs:
        if other is preference or not other.active or not _same(other.value, value):
            continue
        if (other.created_at, other.pk) > (preference.created_at, preference.pk):
            _retire(preference, None, PreferenceEvent.Action.SUPERSEDE, other)
            return False
        _retire(other, None, PreferenceEvent.Action.SUPERSEDE, preference)
    return True
