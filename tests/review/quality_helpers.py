"""A dataset worth a quality dashboard: dialogues on three days with settled failure points, defects and
intents, a model's proposals at spread confidences, and two reviewers' verdicts on them (the right
proposals accepted, the others corrected), plus two model versions evaluated on the gold, the newer one
with the reliability of its confidences there (intent calibrated, defect overconfident) and the trivial
baselines beside its figures."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils import timezone

from annotations.models import Dataset, Label, LabelKind, LabelSource, LabelStatus
from annotations.services import dataset_stats_refresh
from models_app.ml.metrics import reliability
from models_app.models import ModelEvaluation, ModelVersion
from review.models import LabelReview
from tests.review.review_helpers import make_reviewable

DAYS = ("2026-11-01", "2026-11-02", "2026-11-03")
POINTS = ("none", "asr", "nlu", "none", "entity", "none")
INTENTS = ("PlayMusic", "GetWeather", "SetAlarm")


def _gold(turn: Any, kind: str, value: Any) -> Label:
    now = timezone.now()
    return Label(
        dialogue_id=turn.dialogue_id,
        turn=turn,
        kind=kind,
        value=value,
        status=LabelStatus.GOLD,
        source_type=LabelSource.IMPORT,
        created_at=now,
        updated_at=now,
    )


def gold_calibration(predictions: int = 400) -> dict[str, Any]:
    """What an evaluation records of its labels' confidences (models_app.ml.metrics.reliability): the
    intent right as often as its confidence says, the defect 30 points less often."""
    rng = np.random.default_rng(7)
    confidence = rng.uniform(0.5, 1.0, predictions)
    return {
        "intent": reliability(rng.random(predictions) < confidence, confidence),
        "defect": reliability(rng.random(predictions) < confidence - 0.3, confidence),
    }


def make_quality_dataset(dataset: Dataset, reviewers: list[Any], *, dialogues: int = 12) -> None:
    gold: list[Label] = []
    verdicts: list[LabelReview] = []
    now = timezone.now()
    for number in range(dialogues):
        # Confidences from 0.35 to 0.95: the model is right above 0.6, and on every other one below.
        confidence = 0.35 + 0.6 * number / max(1, dialogues - 1)
        dialogue = make_reviewable(
            dataset, f"q{number}", ["play some jazz", "the weather in Oslo"], confidence=confidence
        )
        dialogue.started_at = f"{DAYS[number % 3]}T09:00:00Z"
        dialogue.save(update_fields=["started_at"])
        for position, turn in enumerate(dialogue.turns.order_by("position")):
            point = POINTS[(number + position) % len(POINTS)]
            gold += [
                _gold(turn, LabelKind.FAILURE_POINT, point),
                _gold(turn, LabelKind.DEFECT, point != "none"),
                _gold(turn, LabelKind.INTENT, INTENTS[(number + position) % len(INTENTS)]),
            ]
        right = confidence > 0.6 or number % 2 == 0
        for label in Label.objects.filter(dialogue=dialogue, kind__in=[LabelKind.INTENT, LabelKind.DEFECT]):
            for reviewer in reviewers:
                verdicts.append(
                    LabelReview(
                        label=label,
                        dialogue=dialogue,
                        reviewer=reviewer,
                        decision="accept" if right else "correct",
                        proposed=label.value,
                        value=label.value if right else "GetWeather",
                        created_at=now,
                        updated_at=now,
                    )
                )
    Label.objects.bulk_create(gold)
    LabelReview.objects.bulk_create(verdicts)
    for name, accuracy in (("labeller-v1", 0.62), ("labeller-v2", 0.91)):
        metrics: dict[str, Any] = {"intent_accuracy": accuracy, "slot_f1": accuracy - 0.1}
        if name == "labeller-v2":
            metrics["calibration"] = gold_calibration()
            metrics["baselines"] = {"failure_point_accuracy": {"always_none": 0.5}}
        # Recorded as the evaluate command and the recipes record them: no job.
        ModelEvaluation.objects.create(
            model_version=ModelVersion.objects.get_or_create(name=name)[0],
            dataset=dataset,
            dialogues=dialogues,
            metrics=metrics,
        )
    dataset_stats_refresh(dataset_id=dataset.pk)
