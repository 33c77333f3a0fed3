"""How far reviewers agree, and how the model and a single reviewer fare against corroborated gold.

Per dataset and label kind:

- agreement between reviewers on the labels that have at least two verdicts: Cohen's kappa (scikit-
  learn) when two verdicts per label are compared, Fleiss' kappa (statsmodels) when three or more;
  every verdict is one category (a rejection is a category of its own, a value is its canonical JSON);
- on corroborated gold (labels settled by two or more verdicts, in agreement or by adjudication): the
  model's accuracy (its proposal as the reviewers first saw it) beside the accuracy of one reviewer's
  verdict, i.e. the model against one annotator, both scored against the panel.

Nothing is computed by hand: the kappas come from the libraries named.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from annotations.models import Dataset, LabelKind, LabelReview, LabelSource, LabelStatus, ReviewDecision
from annotations.review_rules import label_verdict_key, verdict_key


@dataclass
class KindAgreement:
    kind: str
    kind_label: str
    # Labels compared for agreement, and how many verdicts each contributes.
    items: int = 0
    raters: int = 0
    kappa: float | None = None
    kappa_name: str = ""
    # Corroborated gold, and the accuracies against it (None where there is nothing to score).
    gold: int = 0
    model_items: int = 0
    model_accuracy: float | None = None
    reviewer_items: int = 0
    reviewer_accuracy: float | None = None


@dataclass
class _Item:
    kind: str
    status: str
    value: Any
    source_type: str
    verdicts: list[str]
    proposed: Any


def dataset_agreement(dataset: Dataset) -> list[KindAgreement]:
    """One row per label kind (every kind, in their usual order), from one query over the dataset's
    verdicts."""
    items: dict[int, _Item] = {}
    rows = (
        LabelReview.objects.filter(dialogue__dataset=dataset)
        .order_by("label_id", "id")
        .values_list(
            "label_id",
            "label__kind",
            "label__status",
            "label__value",
            "label__source_type",
            "decision",
            "value",
            "proposed",
        )
    )
    for label_id, kind, status, value, source_type, decision, verdict_value, proposed in rows:
        item = items.get(label_id)
        if item is None:
            item = items[label_id] = _Item(kind, status, value, source_type, [], proposed)
        item.verdicts.append(verdict_key(kind, decision, verdict_value))
    by_kind: dict[str, list[_Item]] = defaultdict(list)
    for item in items.values():
        by_kind[item.kind].append(item)
    raters = max(2, dataset.required_reviews)
    return [_kind_agreement(kind, by_kind.get(kind.value, []), raters) for kind in LabelKind]


def _kind_agreement(kind: LabelKind, items: list[_Item], raters: int) -> KindAgreement:
    result = KindAgreement(kind=kind.value, kind_label=kind.label, raters=raters)
    compared = [item.verdicts[:raters] for item in items if len(item.verdicts) >= raters]
    result.items = len(compared)
    result.kappa_name = "Cohen's κ" if raters == 2 else "Fleiss' κ"
    result.kappa = _kappa(compared, raters)
    gold = [
        item
        for item in items
        if len(item.verdicts) >= 2 and item.status in (LabelStatus.GOLD, LabelStatus.REJECTED)
    ]
    result.gold = len(gold)
    model_hits, reviewer_hits = [], []
    for item in gold:
        truth = label_verdict_key(item.kind, item.status, item.value)
        if item.source_type == LabelSource.MODEL:
            model_hits.append(verdict_key(item.kind, ReviewDecision.ACCEPT, item.proposed) == truth)
        reviewer_hits += [verdict == truth for verdict in item.verdicts]
    result.model_items, result.model_accuracy = len(model_hits), _mean(model_hits)
    result.reviewer_items, result.reviewer_accuracy = len(reviewer_hits), _mean(reviewer_hits)
    return result


def _mean(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def _kappa(compared: list[list[str]], raters: int) -> float | None:
    """Cohen's kappa for two verdicts per label, Fleiss' for more. None when fewer than two labels
    or a single category (kappa is undefined when nobody could disagree)."""
    categories = sorted({verdict for verdicts in compared for verdict in verdicts})
    if len(compared) < 2 or len(categories) < 2:
        return None
    if raters == 2:
        from sklearn.metrics import cohen_kappa_score

        first, second = zip(*compared, strict=True)
        return float(cohen_kappa_score(first, second))
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    index = {category: number for number, category in enumerate(categories)}
    table, _ = aggregate_raters(np.array([[index[v] for v in verdicts] for verdicts in compared]))
    return float(fleiss_kappa(table, method="fleiss"))
