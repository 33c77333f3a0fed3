"""A dataset's auto-accept rules: model labels of a kind at or above its threshold are accepted without
review, each with an audit event. Labelling calls ``review_proposals_written`` after writing a chunk's
proposals; that is the one way model labels enter reviewing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from annotations.models import Dataset, Label, LabelKind, LabelStatus, ReviewEvent
from review.models import AutoAcceptRule
from review.services.state import review_state_refresh
from selflearn_site.exceptions import ApplicationError
from teachable.services import preferences_learn_from_labels


@transaction.atomic
def auto_accept_rules_set(*, dataset: Dataset, thresholds: Mapping[str, float | None]) -> None:
    """Set the threshold of each kind named in ``thresholds``: a number in [0, 1] creates or updates
    the kind's rule, None deletes it. Kinds not named are left as they are."""
    for kind, threshold in thresholds.items():
        if kind not in LabelKind.values:
            raise ApplicationError(f"{kind!r} is not a label kind.", extra={"field": kind})
        if threshold is None:
            AutoAcceptRule.objects.filter(dataset=dataset, kind=kind).delete()
            continue
        if not 0 <= threshold <= 1:
            raise ApplicationError(
                f"The threshold of {LabelKind(kind).label.lower()} must be between 0 and 1.",
                extra={"field": kind},
            )
        rule = AutoAcceptRule.objects.filter(dataset=dataset, kind=kind).first() or AutoAcceptRule(
            dataset=dataset, kind=kind
        )
        rule.threshold = float(threshold)
        rule.full_clean()
        rule.save()


def review_proposals_written(*, model_version: Any, dialogue_ids: Sequence[int]) -> None:
    """A model has written proposals on these dialogues: accept those at or above their dataset's
    thresholds (with an audit event each), then put the dialogues in their places in the review queue.
    Call it in the transaction that wrote the proposals."""
    mine = Label.objects.filter(model_version=model_version, dialogue_id__in=dialogue_ids)
    _auto_accept(mine)
    # Auto-accepted preference statements reach the preference store as reviewed ones do.
    accepted = mine.filter(kind=LabelKind.PREFERENCES, status=LabelStatus.ACCEPTED)
    first = accepted.select_related("dialogue__dataset").first()
    if first is not None:
        preferences_learn_from_labels(
            dataset=first.dialogue.dataset, label_ids=list(accepted.values_list("pk", flat=True))
        )
    # The review queue ranks dialogues by their waiting proposals: keep their places true.
    review_state_refresh(dialogue_ids=dialogue_ids)


def _auto_accept(labels: QuerySet[Label]) -> None:
    """Accept the proposals at or above their dataset's threshold for their kind, leaving a trace."""
    first = labels.values_list("dialogue_id", flat=True)[:1]
    rules = list(AutoAcceptRule.objects.filter(dataset__dialogues__id__in=first))
    now = timezone.now()
    for rule in rules:
        chosen = labels.filter(kind=rule.kind, status=LabelStatus.PROPOSED, confidence__gte=rule.threshold)
        events = [
            ReviewEvent(
                dialogue_id=dialogue_id,
                label_id=label_id,
                action=ReviewEvent.Action.AUTO_ACCEPT,
                kind=rule.kind,
                before={"status": LabelStatus.PROPOSED, "value": value},
                after={"status": LabelStatus.ACCEPTED, "value": value, "threshold": rule.threshold},
            )
            for label_id, dialogue_id, value in chosen.values_list("id", "dialogue_id", "value")
        ]
        ReviewEvent.objects.bulk_create(events)
        chosen.update(status=LabelStatus.ACCEPTED, updated_at=now, revision=F("revision") + 1)
