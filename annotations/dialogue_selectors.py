"""The dataset's dialogues narrowed by the API's filters, on top of ``selectors.dialogue_list``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from annotations.label_filters import dialogues_changed_since_q
from annotations.models import Dataset, Dialogue
from annotations.selectors import dialogue_list


def dialogue_list_filtered(
    dataset: Dataset,
    *,
    q: str = "",
    external_id: str | None = None,
    user_id: str | None = None,
    locale: str | None = None,
    changed_since: datetime | None = None,
) -> QuerySet[Dialogue]:
    """``dialogue_list`` (counts and first utterance, by id), keeping the dialogues with this
    external id, speaker key or locale, and those imported or with a label changed since a time."""
    dialogues = dialogue_list(dataset, q)
    if external_id is not None:
        dialogues = dialogues.filter(external_id=external_id)
    if user_id is not None:
        dialogues = dialogues.filter(user_key=user_id)
    if locale is not None:
        dialogues = dialogues.filter(locale=locale)
    if changed_since is not None:
        dialogues = dialogues.filter(dialogues_changed_since_q(changed_since))
    return dialogues
