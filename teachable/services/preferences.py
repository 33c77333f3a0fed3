"""Writing preferences: learning one (with the supersede rules), correcting, deleting, forgetting a
person. Every change writes a PreferenceEvent in the same transaction, so the record cannot miss one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import Dataset, Turn
from annotations.services import dataset_serving_changed
from selflearn_site.exceptions import ApplicationError
from teachable.matching import Mention
from teachable.models import GuidedSession, Polarity, Preference, PreferenceEvent, Source, TeachableMoment
from teachable.selectors import assistant_user_exists, catalogue_index, key_known

FIELD_LENGTH = {"domain": 64, "key": 64, "value": 200}


@dataclass(frozen=True)
class PreferenceInput:
    domain: str
    key: str
    value: str
    polarity: str = Polarity.LIKE
    source: str = Source.REVIEWER
    confidence: float = 1.0


def _clean(data: PreferenceInput) -> PreferenceInput:
    """Trimmed, checked fields; the value resolved to its catalogue entry's where the key has a
    catalogue (a catalogue named after the key: "team", "city", ...)."""
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


def value_resolve(key: str, value: str) -> tuple[str, int | None]:
    """(canonical value, catalogue entry pk) for ``value`` of ``key``: the catalogue named ``key``
    decides when there is one (an unknown or ambiguous name is refused, naming the candidates);
    without a catalogue the value stands as written."""
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
        raise ApplicationError(f"“{value}” names nothing in the {key} catalogue.", extra={"field": "value"})
    if len(entities) > 1:
        # The message is shown beside the field it is about (``extra``): no "value:" in front of it.
        names = " or ".join(e.value for e in entities)
        raise ApplicationError(f"“{value}” could be {names}; say which.", extra={"field": "value"})
    return entities[0].value, entities[0].pk


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

    ``strict``: a value the key's catalogue does not resolve is refused (400 naming the field);
    otherwise (a reviewed label, say) it is kept as written, with no entity."""
    if not user_key or not assistant_user_exists(dataset, user_key):
        raise ApplicationError(
            f"user_id: no assistant user {user_key!r} in {dataset.name}.", extra={"field": "user_id"}
        )
    data = _clean(data)
    if strict and not key_known(dataset, data.key):
        raise ApplicationError(
            f"key: {data.key!r} is no key of {dataset.name}: keys are those of the catalogues and the "
            "question sets (add a question that asks for it).",
            extra={"field": "key"},
        )
    try:
        value, entity = value_resolve(data.key, data.value)
    except ApplicationError:
        if strict:
            raise
        value, entity = data.value, None
    with transaction.atomic():
        current = list(
            Preference.objects.select_for_update()
            .filter(dataset=dataset, user_key=user_key, domain=data.domain, key=data.key, active=True)
            .order_by("pk")
        )
        same = next((p for p in current if p.value == value and p.polarity == data.polarity), None)
        if same is not None:
            before = same.as_dict()
            same.confidence = max(same.confidence, data.confidence)
            same.source = data.source
            same.turn = turn or same.turn
            same.save(update_fields=["confidence", "source", "turn", "updated_at"])
            _event(same, PreferenceEvent.Action.CORRECT, actor, before, same.as_dict())
            return same
        retired = [p for p in current if p.value == value]  # the same value with the other polarity
        if data.polarity == Polarity.LIKE:
            retired += [p for p in current if p.polarity == Polarity.LIKE and p.value != value]
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
