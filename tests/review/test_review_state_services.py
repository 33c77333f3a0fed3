"""The queue state follows the labels: a labelling job puts every dialogue it labels in the queue with
its least confident waiting label; imported gold alone puts nothing there."""

from __future__ import annotations

import pytest
from django.db.models import Min

from annotations.models import Label, LabelSource
from models_app.services import label_dataset
from review.models import AutoAcceptRule, DialogueReviewState
from review.services.state import review_state_refresh, review_state_refresh_dataset
from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db


def test_labelling_a_dataset_queues_each_dialogue_by_its_least_confident_proposal(simulated_dataset, model):
    label_dataset(dataset=simulated_dataset, model_version=model)
    states = {
        state.dialogue_id: state for state in DialogueReviewState.objects.filter(dataset=simulated_dataset)
    }
    assert set(states) == set(simulated_dataset.dialogues.values_list("pk", flat=True))
    lowest = dict(
        Label.objects.filter(dialogue__dataset=simulated_dataset, source_type=LabelSource.MODEL)
        .values("dialogue_id")
        .annotate(low=Min("confidence"))
        .values_list("dialogue_id", "low")
    )
    for dialogue_id, state in states.items():
        assert state.is_open
        assert state.min_confidence == pytest.approx(lowest[dialogue_id])
        assert state.awaiting == Label.objects.filter(dialogue_id=dialogue_id, source_type="model").count()
    # Imported gold that the model contradicts counts as disagreement.
    assert sum(state.disagreement for state in states.values()) > 0


def test_auto_accepted_labels_stay_in_the_queue_until_a_person_looks_at_them(simulated_dataset, model):
    AutoAcceptRule.objects.create(dataset=simulated_dataset, kind="defect", threshold=0.0)
    label_dataset(dataset=simulated_dataset, model_version=model)
    assert Label.objects.filter(kind="defect", source_type="model").exclude(status="accepted").count() == 0
    assert not DialogueReviewState.objects.filter(dataset=simulated_dataset, is_open=False).exists()


def test_a_dialogue_with_imported_gold_only_has_nothing_to_review(dataset):
    from tests.annotations.page_helpers import make_dialogue as with_model_labels

    imported = make_dialogue(dataset, "plain", ["hello"], with_labels=False)
    mixed = with_model_labels(dataset, "mixed", ["hello", "there"])
    review_state_refresh(dialogue_ids=[imported.pk, mixed.pk])
    assert list(DialogueReviewState.objects.values_list("dialogue_id", flat=True)) == [mixed.pk]
    Label.objects.filter(dialogue=mixed, source_type__in=["model", "person"]).delete()
    assert review_state_refresh_dataset(dataset_id=dataset.pk) == 2
    assert DialogueReviewState.objects.get(dialogue=mixed).is_open is False
