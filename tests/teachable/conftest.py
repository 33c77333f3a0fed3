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
