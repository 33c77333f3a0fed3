from __future__ import annotations

import pytest

from annotations.models import Turn
from models_app.examples import gold_examples, labelling_chunk, unlabelled_examples

pytestmark = pytest.mark.django_db


def test_labelling_reads_each_turn_as_training_does(simulated_dataset):
    """The assistant's own slots included: the "nlu" context and the entity evidence read them."""
    ids = list(simulated_dataset.dialogues.order_by("pk").values_list("pk", flat=True))
    trained_on = list(gold_examples([simulated_dataset]))
    labelled = labelling_chunk(ids).examples
    assert Turn.objects.filter(dialogue__dataset=simulated_dataset, slots__isnull=False).exists()
    assert [e.turns for e in labelled] == [e.turns for e in trained_on]


def test_unlabelled_logs_keep_their_turns_and_lose_every_label(simulated_dataset):
    logs = list(unlabelled_examples([simulated_dataset]))
    assert len(logs) == simulated_dataset.dialogues.count()
    assert all(e.targets is None and e.goals is None and e.goal_success is None for e in logs)
    assert [e.turns for e in logs] == [e.turns for e in gold_examples([simulated_dataset])]
