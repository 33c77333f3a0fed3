"""Dialogues written straight through the ORM, for the page tests (no importer involved)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelSource, LabelStatus, Turn
from models_app.models import ModelVersion


def make_dialogue(
    dataset: Dataset,
    external_id: str,
    utterances: list[str],
    *,
    with_labels: bool = True,
    user_key: str = "u1",
    author: Any = None,
) -> Dialogue:
    """A dialogue with one turn per utterance; with labels, every turn gets one label of each kind
    from an import, a model and a person, and the dialogue two goals with a success label each."""
    dialogue = Dialogue.objects.create(dataset=dataset, external_id=external_id, user_key=user_key)
    turns = Turn.objects.bulk_create(
        Turn(
            dialogue=dialogue,
            position=index,
            external_id=f"t{index + 1}",
            utterance=utterance,
            response=f"answer {index + 1}",
            asr_confidence=0.9,
            nlu_confidence=0.8,
            domain="music",
            intent="PlayMusic",
            slots=[{"start": 0, "end": min(4, len(utterance)), "type": "song"}] if utterance else [],
            status="SUCCESS",
            barge_in=index == 0,
            feedback="negative" if index == 1 else None,
            timestamp="2026-11-02T08:15:00Z",
        )
        for index, utterance in enumerate(utterances)
    )
    if not with_labels:
        return dialogue
    model, _ = ModelVersion.objects.get_or_create(name="labeller-v1")
    now = timezone.now()
    labels = []
    for turn in turns:
        common = {"dialogue": dialogue, "turn": turn, "created_at": now, "updated_at": now}
        labels += [
            Label(
                kind=LabelKind.INTENT,
                value="PlayMusic",
                source_type=LabelSource.IMPORT,
                status=LabelStatus.GOLD,
                **common,
            ),
            Label(
                kind=LabelKind.SLOTS,
                value=[{"start": 0, "end": 1, "type": "artist"}],
                source_type=LabelSource.MODEL,
                model_version=model,
                confidence=0.7,
                **common,
            ),
            Label(
                kind=LabelKind.DEFECT,
                value=False,
                source_type=LabelSource.PERSON,
                author=author,
                status=LabelStatus.ACCEPTED,
                **common,
            ),
        ]
    half = max(1, len(turns) // 2)
    goals = [
        {"turns": [t.external_id for t in turns[:half]]},
        {"turns": [t.external_id for t in turns[half:]]},
    ]
    labels.append(
        Label(
            dialogue=dialogue,
            kind=LabelKind.GOAL_SEGMENTS,
            value=goals,
            source_type=LabelSource.IMPORT,
            status=LabelStatus.GOLD,
            created_at=now,
            updated_at=now,
        )
    )
    for goal_start, success in ((turns[0], True), (turns[half] if half < len(turns) else None, False)):
        if goal_start is not None:
            labels.append(
                Label(
                    dialogue=dialogue,
                    turn=goal_start,
                    kind=LabelKind.GOAL_SUCCESS,
                    value=success,
                    source_type=LabelSource.IMPORT,
                    status=LabelStatus.GOLD,
                    created_at=now,
                    updated_at=now,
                )
            )
    Label.objects.bulk_create(labels)
    return dialogue
