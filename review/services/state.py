"""Keeps each dialogue's place in the review queue (DialogueReviewState) true to its labels.

Every service that writes labels or verdicts calls ``review_state_refresh`` with the dialogues it
touched: the labelling job after writing a chunk's proposals, the review services after each decision.
It reads those dialogues' labels and verdicts in a fixed number of queries and writes one row per
dialogue, so the queue can find "the next dialogue for me" by walking an index instead of ranking
millions of labels on every request.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from django.db.models import Count
from django.utils import timezone

from annotations.models import Dialogue
from review.facts import DialogueFacts, dialogue_facts
from review.models import DialogueReview, DialogueReviewState

# Rows per statement when a whole dataset is refreshed.
REFRESH_BATCH_SIZE = 2000
_random = random.Random()


def review_state_refresh(
    *, dialogue_ids: Sequence[int], facts: dict[int, DialogueFacts] | None = None
) -> dict[int, int]:
    """Recompute the queue state of these dialogues (pass ``facts`` when already loaded) and return
    how many reviewers finished each. A dialogue with nothing but imported labels gets no row; the
    hold on an existing row is left as it is."""
    if not dialogue_ids:
        return {}
    facts = facts if facts is not None else dialogue_facts(dialogue_ids)
    done = dict(
        DialogueReview.objects.filter(dialogue_id__in=dialogue_ids, status=DialogueReview.Status.DONE)
        .values("dialogue_id")
        .annotate(n=Count("*"))
        .values_list("dialogue_id", "n")
    )
    now = timezone.now()
    rows = []
    without = []
    for pk, item in facts.items():
        if not item.has_reviewable_labels:
            without.append(pk)
            continue
        awaiting = item.awaiting
        confidences = [label.confidence for label in awaiting if label.confidence is not None]
        rows.append(
            DialogueReviewState(
                dialogue_id=pk,
                dataset_id=item.dataset_id,
                is_open=bool(awaiting),
                awaiting=len(awaiting),
                min_confidence=min(confidences, default=1.0),
                disagreement=item.disagreements,
                reviews_done=done.get(pk, 0),
                random_key=_random.getrandbits(31),
                updated_at=now,
            )
        )
    if rows:
        DialogueReviewState.objects.bulk_create(
            rows,
            batch_size=REFRESH_BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["dialogue"],
            update_fields=[
                "is_open",
                "awaiting",
                "min_confidence",
                "disagreement",
                "reviews_done",
                "updated_at",
            ],
        )
    if without:
        # Their reviewable labels are gone (a model version deleted, say): nothing waits any more.
        DialogueReviewState.objects.filter(dialogue_id__in=without).update(is_open=False, awaiting=0)
    return done


def review_state_refresh_dataset(*, dataset_id: int) -> int:
    """Refresh every dialogue of a dataset (after its required number of reviews changed), a batch at a
    time; returns how many dialogues were looked at."""
    ids = list(Dialogue.objects.filter(dataset_id=dataset_id).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REFRESH_BATCH_SIZE):
        review_state_refresh(dialogue_ids=ids[start : start + REFRESH_BATCH_SIZE])
    return len(ids)
