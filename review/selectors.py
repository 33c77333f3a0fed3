"""Reads for reviewing: the review page's data, a dialogue's history, the adjudication list, the
queue's summary, the agreement statistics and the auto-accept thresholds. Each costs a fixed number of
queries, whatever the dialogue's length or the dataset's size."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from annotations.formats.dialogue_format import FAILURE_POINTS
from annotations.models import (
    Dataset,
    Dialogue,
    Label,
    LabelKind,
    LabelSource,
    LabelStatus,
    ReviewEvent,
    Turn,
)
from models_app.models import ModelVersion
from review.facts import build_facts
from review.models import (
    Adjudication,
    AutoAcceptRule,
    DialogueReview,
    DialogueReviewState,
    LabelReview,
    ReviewDecision,
)
from review.payload import (
    ReviewLabel,
    kinds_payload,
    labels_payload,
    progress_payload,
    review_labels,
    turn_payload,
    under_review_payload,
)
from review.rules import LOW_CONFIDENCE, label_verdict_key, verdict_key
from review.services.changes import ReviewOutcome

_Verdict = namedtuple("_Verdict", "decision value")


def review_dialogue_get(dataset: Dataset, pk: int) -> Dialogue:
    """A dialogue of the dataset (with the dataset attached, no second query), or Http404."""
    dialogue = Dialogue.objects.filter(dataset=dataset, pk=pk).first()
    if dialogue is None:
        raise Http404("No such dialogue in this dataset.")
    dialogue.dataset = dataset
    return dialogue


def review_page_data(*, dialogue: Dialogue, reviewer: User) -> dict[str, Any]:
    """Everything the review page draws, as JSON data, in five queries: turns, labels (with model
    version and author names), verdicts, the queue state with its holder, and the model inventories."""
    dataset = dialogue.dataset
    turns = list(Turn.objects.filter(dialogue=dialogue).order_by("position"))
    labels = review_labels(Label.objects.filter(dialogue=dialogue))
    verdicts = list(
        LabelReview.objects.filter(dialogue=dialogue).values_list(
            "label_id", "reviewer_id", "decision", "value"
        )
    )
    facts = build_facts(
        dialogue_id=dialogue.pk,
        dataset_id=dataset.pk,
        required=dataset.required_reviews,
        labels=labels,
        reviews=[(label_id, reviewer_id, decision) for label_id, reviewer_id, decision, _ in verdicts],
    )
    mine = {
        label_id: _Verdict(decision, value)
        for label_id, reviewer_id, decision, value in verdicts
        if reviewer_id == reviewer.pk
    }
    state = (
        DialogueReviewState.objects.filter(dialogue=dialogue)
        .select_related("locked_by")
        .only("reviews_done", "locked_until", "locked_by__username")
        .first()
    )
    shown = sorted(facts.current.values(), key=lambda label: label.pk)
    done = not facts.awaiting_for(reviewer.pk) and facts.has_verdict_from(reviewer.pk)
    return {
        "dialogue": {
            "id": dialogue.pk,
            "external_id": dialogue.external_id,
            "user_key": dialogue.user_key,
            "locale": dialogue.locale,
            "started_at": dialogue.started_at,
            "device": dialogue.device,
        },
        "dataset": {"name": dataset.name, "required_reviews": facts.required},
        "me": {"id": reviewer.pk, "username": reviewer.get_username()},
        "turns": [turn_payload(turn) for turn in turns],
        "labels": labels_payload(shown, facts=facts, my_reviews=mine, reviewer_id=reviewer.pk),
        "under_review": under_review_payload(facts),
        "kinds": kinds_payload(),
        "inventory": _inventory(labels, turns),
        "lock": _lock_payload(state, reviewer),
        "progress": progress_payload(
            facts, reviewer.pk, done=done, reviews_done=state.reviews_done if state else 0
        ),
        "low_confidence": LOW_CONFIDENCE,
    }


def _lock_payload(state: DialogueReviewState | None, reviewer: User) -> dict[str, Any]:
    if (
        state is None
        or state.locked_by is None
        or state.locked_until is None
        or state.locked_until < timezone.now()
    ):
        return {"held_by": None, "until": None, "mine": False}
    return {
        "held_by": state.locked_by.get_username(),
        "until": state.locked_until.isoformat(),
        "mine": state.locked_by_id == reviewer.pk,
    }


def _inventory(labels: list[ReviewLabel], turns: list[Turn]) -> dict[str, list[Any]]:
    """The intents and slot types to choose from: the labelling models' inventories, and whatever the
    dialogue's labels and the assistant already used (so a value is always among the choices)."""
    intents: set[str] = set()
    slot_types: set[str] = set()
    model_ids = {label.model_version_id for label in labels if label.model_version_id}
    for inventory in ModelVersion.objects.filter(pk__in=model_ids).values_list("inventories", flat=True):
        if isinstance(inventory, dict):
            intents.update(name for name in inventory.get("intents", []) if isinstance(name, str))
            slot_types.update(name for name in inventory.get("slot_types", []) if isinstance(name, str))
    for label in labels:
        if label.kind == LabelKind.INTENT and isinstance(label.value, str):
            intents.add(label.value)
        elif label.kind == LabelKind.SLOTS and isinstance(label.value, list):
            slot_types.update(
                span["type"]
                for span in label.value
                if isinstance(span, dict) and isinstance(span.get("type"), str)
            )
    for turn in turns:
        if turn.intent:
            intents.add(turn.intent)
        for span in turn.slots if isinstance(turn.slots, list) else []:
            if isinstance(span, dict) and isinstance(span.get("type"), str):
                slot_types.add(span["type"])
    return {
        "intents": sorted(intents),
        "slot_types": sorted(slot_types),
        "failure_points": list(FAILURE_POINTS),
    }


def dialogue_history(dialogue: Dialogue) -> QuerySet[ReviewEvent]:
    """Every decision on the dialogue, newest first, with who made it and the turn it was about."""
    return (
        ReviewEvent.objects.filter(dialogue=dialogue)
        .select_related("actor", "label__turn", "reverts")
        .order_by("-created_at", "-id")
    )


def adjudication_list(dataset: Dataset) -> QuerySet[Adjudication]:
    """The dataset's labels whose independent reviews disagree, oldest first, each with its dialogue,
    turn and every reviewer's verdict (three queries per page)."""
    verdicts = LabelReview.objects.select_related("reviewer").order_by("id")
    return (
        Adjudication.objects.filter(dataset=dataset, resolved_at__isnull=True)
        .select_related("label__dialogue", "label__turn", "label__model_version")
        .prefetch_related(Prefetch("label__reviews", queryset=verdicts))
        .order_by("id")
    )


def adjudication_get(dataset: Dataset, pk: int) -> Adjudication:
    adjudication = Adjudication.objects.filter(dataset=dataset, pk=pk).first()
    if adjudication is None:
        raise Http404("No such adjudication in this dataset.")
    return adjudication


def review_queue_summary(dataset: Dataset, reviewer: User) -> dict[str, int]:
    """How much is left: open dialogues, those held by others now, the reviewer's done and skipped
    dialogues, and open adjudications (four queries)."""
    now = timezone.now()
    held_by_others = Q(locked_until__gte=now) & ~Q(locked_by=reviewer)
    states = DialogueReviewState.objects.filter(dataset=dataset, is_open=True).aggregate(
        open=Count("pk"), held=Count("pk", filter=held_by_others)
    )
    mine = dict(
        DialogueReview.objects.filter(dialogue__dataset=dataset, reviewer=reviewer)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "open": states["open"],
        "held_by_others": states["held"],
        "done_by_me": mine.get(DialogueReview.Status.DONE, 0),
        "skipped_by_me": mine.get(DialogueReview.Status.SKIPPED, 0),
        "adjudications": Adjudication.objects.filter(dataset=dataset, resolved_at__isnull=True).count(),
        "reviewable": DialogueReviewState.objects.filter(dataset=dataset).count(),
    }


def review_outcome_payload(outcome: ReviewOutcome, reviewer: User) -> dict[str, Any]:
    """A save's answer: the labels it changed, those it deleted, and the reviewer's progress."""
    return {
        "labels": labels_payload(
            outcome.labels, facts=outcome.facts, my_reviews=outcome.my_reviews, reviewer_id=reviewer.pk
        ),
        "deleted": outcome.deleted,
        "under_review": under_review_payload(outcome.facts),
        "progress": progress_payload(
            outcome.facts, reviewer.pk, done=outcome.done, reviews_done=outcome.reviews_done
        ),
    }


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


def dataset_verdicts(dataset: Dataset) -> QuerySet[LabelReview]:
    """The verdicts given in the dataset, read from the verdicts: each one's dialogue is looked up by
    its key. A join on the dialogues' dataset let the planner walk every dialogue of the dataset and
    probe its verdicts (SQLite: 100,000 probes, 15 to 45 ms a query, for 8,000 verdicts)."""
    return LabelReview.objects.filter(
        Exists(Dialogue.objects.filter(pk=OuterRef("dialogue_id"), dataset=dataset))
    )


def labels_reviewed_twice(dataset: Dataset) -> QuerySet[Any, Any]:
    """The ids (``label_id``) of the dataset's labels with at least two verdicts, counted in SQL."""
    return (
        dataset_verdicts(dataset)
        .order_by()
        .values("label_id")
        .annotate(verdicts=Count("id"))
        .filter(verdicts__gte=2)
        .values("label_id")
    )


def dataset_agreement(dataset: Dataset) -> list[KindAgreement]:
    """One row per label kind (every kind, in their usual order), from one query over the verdicts of
    the labels that more than one reviewer decided (agreement and gold need two; a dataset reviewed
    once per label, the usual case, has few of them, and reading each verdict had cost the Quality
    page half a second at 8,000 verdicts)."""
    items: dict[int, _Item] = {}
    rows = (
        LabelReview.objects.filter(label_id__in=labels_reviewed_twice(dataset))
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


def auto_accept_thresholds(dataset: Dataset) -> dict[str, float | None]:
    """The dataset's auto-accept threshold of every label kind (None where auto-accept is off)."""
    rules = dict(AutoAcceptRule.objects.filter(dataset=dataset).values_list("kind", "threshold"))
    return {kind: rules.get(kind) for kind in LabelKind.values}
