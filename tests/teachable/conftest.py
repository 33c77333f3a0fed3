"""People of a dataset (dialogues that name their speaker), with the default catalogues, question set
and resolution rules in place."""

from __future__ import annotations

import pytest

from annotations.models import Dialogue, Turn
from teachable.services import teachable_dataset_prepare


@pytest.fixture
def people(dataset):
    """u1 and u2 speak in the dataset's logs; u1 once said "i'm a warriors fan"."""
    for number, (user_key, utterance) in enumerate(
        [("u1", "i'm a warriors fan"), ("u1", "what's the weather"), ("u2", "play some music")], start=1
    ):
        dialogue = Dialogue.objects.create(dataset=dataset, external_id=f"d{number}", user_key=user_key)
        Turn.objects.create(dialogue=dialogue, position=0, external_id="t1", utterance=utterance)
    teachable_dataset_prepare(dataset=dataset)
    return dataset


def stated_label(
    dataset, status: str = "gold", value=None, *, dialogue: str = "d1", confidence=None, model=None
):
    """A ``preferences`` label on the first turn of ``dialogue`` (by default gold: "the warriors")."""
    from django.utils import timezone

    from annotations.models import Label, LabelKind, LabelSource

    turn = Turn.objects.get(dialogue__dataset=dataset, dialogue__external_id=dialogue)
    now = timezone.now()
    return Label.objects.create(
        dialogue=turn.dialogue,
        turn=turn,
        kind=LabelKind.PREFERENCES,
        value=value if value is not None else [{"domain": "sports", "key": "team", "value": "the warriors"}],
        confidence=confidence,
        status=status,
        source_type=LabelSource.MODEL if model else LabelSource.IMPORT,
        model_version=model,
        created_at=now,
        updated_at=now,
    )
