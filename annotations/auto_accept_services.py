"""Writes to a dataset's auto-accept rules: model labels of a kind at or above its threshold are
accepted without review (the labelling services apply the rules and leave an audit event)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from annotations.models import AutoAcceptRule, Dataset, LabelKind
from selflearn_site.exceptions import ApplicationError


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
