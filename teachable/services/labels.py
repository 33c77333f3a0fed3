"""Preferences from reviewed labels: a ``preferences`` label that people settled (accepted, corrected,
or imported as gold; auto-accepted ones too) teaches the store what its turn states, once per label
revision, with the turn as its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotations.models import Dataset, LabelKind, LabelStatus
from annotations.selectors import settled_labels_of_kind
from selflearn_site.exceptions import ApplicationError
from teachable.models import Preference, Source
from teachable.services.preferences import PreferenceInput, preference_learn


@dataclass
class SyncReport:
    labels: int = 0  # settled preference labels looked at
    learned: int = 0  # preferences written or refreshed
    skipped: list[str] = field(default_factory=list)  # why an item was not learned, naming it


def preferences_learn_from_labels(*, dataset: Dataset, label_ids: list[int] | None = None) -> SyncReport:
    """Learn every settled ``preferences`` label of the dataset (or those of ``label_ids``) not
    learned at its current revision yet. Items that do not resolve are kept as written; an item
    without a speaker (no ``user_id`` on its dialogue) is reported, not guessed."""
    report = SyncReport()
    for label in settled_labels_of_kind(dataset, LabelKind.PREFERENCES, label_ids):
        report.labels += 1
        if Preference.objects.filter(label=label, label_revision=label.revision).exists():
            continue
        user_key = label.dialogue.user_key
        where = f"dialogue {label.dialogue.external_id}, turn {label.turn.external_id if label.turn else '-'}"
        if not user_key:
            report.skipped.append(f"{where}: the dialogue names no user_id")
            continue
        for item in label.value or []:
            try:
                preference = preference_learn(
                    dataset=dataset,
                    user_key=user_key,
                    data=PreferenceInput(
                        domain=item.get("domain", ""),
                        key=item.get("key", ""),
                        value=item.get("value", ""),
                        polarity=item.get("polarity") or "like",
                        source=Source.IMPORT if label.status == LabelStatus.GOLD else Source.STATEMENT,
                        confidence=1.0 if label.confidence is None else float(label.confidence),
                    ),
                    turn=label.turn,
                    strict=False,
                )
            except ApplicationError as error:
                report.skipped.append(f"{where}: {error.message}")
                continue
            preference.label, preference.label_revision = label, label.revision
            preference.save(update_fields=["label", "label_revision"])
            report.learned += 1
    return report
