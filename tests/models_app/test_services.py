from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Label, LabelKind, LabelSource, LabelStatus, Turn
from models_app.models import ModelVersion
from models_app.services import label_dataset, model_evaluate, model_train
from selflearn_site.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(simulated_dataset, tiny_model_config, quick_train_config, settings, tmp_path) -> ModelVersion:
    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"
    return model_train(
        name="tiny",
        datasets=[simulated_dataset],
        model_config=tiny_model_config,
        train_config=quick_train_config,
    )


def test_training_registers_a_model_version_with_its_checkpoint(trained):
    assert Path(trained.checkpoint_path).is_dir()
    assert Path(trained.checkpoint_path).name == "tiny"
    assert set(trained.tasks) >= {
        "intent",
        "slots",
        "failure_point",
        "rephrase_of",
        "defect",
        "goal_segments",
    }
    assert trained.inventories["intents"]
    assert trained.config["datasets"] == ["simulated"]
    assert not list(Path(trained.checkpoint_path).parent.glob("*.partial"))


def test_a_second_model_with_the_same_name_is_refused(trained, simulated_dataset):
    with pytest.raises(ApplicationError, match="already exists"):
        model_train(name="tiny", datasets=[simulated_dataset])


def test_labelling_writes_one_proposal_per_target_and_kind(trained, simulated_dataset):
    report = label_dataset(dataset=simulated_dataset, model_version=trained)

    proposals = Label.objects.filter(model_version=trained)
    turns = Turn.objects.filter(dialogue__dataset=simulated_dataset).count()
    assert report.turns == turns
    assert proposals.filter(kind=LabelKind.INTENT).count() == turns
    assert proposals.filter(kind=LabelKind.GOAL_SEGMENTS).count() == simulated_dataset.dialogues.count()
    assert set(proposals.values_list("status", flat=True)) == {LabelStatus.PROPOSED}
    assert set(proposals.values_list("source_type", flat=True)) == {LabelSource.MODEL}
    assert all(0 <= confidence <= 1 for confidence in proposals.values_list("confidence", flat=True))
    assert report.labels_written == proposals.count()


def test_failure_points_carry_their_evidence_and_the_other_labels_none(
    simulated_dataset, tiny_model_config, quick_train_config, settings, tmp_path
):
    from models_app.ml.plausibility import PLAUSIBILITY_FILE, WordModel

    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"
    # The cached word model of real requests, as the recipe builds it, is what training reads.
    utterances = list(
        Turn.objects.filter(dialogue__dataset=simulated_dataset).values_list("utterance", flat=True)
    )
    WordModel(utterances[::2]).save(tmp_path / "models" / PLAUSIBILITY_FILE)
    model = model_train(
        name="tiny-words",
        datasets=[simulated_dataset],
        model_config=tiny_model_config,
        train_config=quick_train_config,
    )
    assert (Path(model.checkpoint_path) / PLAUSIBILITY_FILE).exists()

    label_dataset(dataset=simulated_dataset, model_version=model)

    failure_points = Label.objects.filter(model_version=model, kind=LabelKind.FAILURE_POINT)
    assert failure_points.exists()
    for evidence in failure_points.values_list("evidence", flat=True):
        assert evidence, "every failure point says what it rests on"
        assert {"kind", "says", "points_to"} <= set(evidence[0])
    kinds = {
        item["kind"] for evidence in failure_points.values_list("evidence", flat=True) for item in evidence
    }
    assert "plausibility" in kinds and "reading" in kinds
    assert (
        not Label.objects.filter(model_version=model, evidence__isnull=False)
        .exclude(kind=LabelKind.FAILURE_POINT)
        .exists()
    )


def test_labelling_again_writes_nothing_twice(trained, simulated_dataset):
    label_dataset(dataset=simulated_dataset, model_version=trained, chunk_size=5)
    count = Label.objects.filter(model_version=trained).count()

    again = label_dataset(dataset=simulated_dataset, model_version=trained, chunk_size=7)

    assert again.labels_written == 0
    assert Label.objects.filter(model_version=trained).count() == count


def test_model_labels_export_as_the_dialogue_format(trained, simulated_dataset, tmp_path):
    label_dataset(dataset=simulated_dataset, model_version=trained)
    out = tmp_path / "model.jsonl"

    call_command(
        "export_dialogues", "--dataset", simulated_dataset.name, "--labels", "model:tiny", "--out", str(out)
    )

    first = json.loads(out.read_text().splitlines()[0])
    assert set(first["labels"]) == {"goals", "turns"}
    every_turn = {"intent", "slots", "failure_point", "rephrase_of", "defect"}
    # Preferences are written only where the model reads one stated (a tiny model may).
    assert every_turn <= set(first["labels"]["turns"]["t1"]) <= every_turn | {"preferences"}


def test_evaluation_reports_metrics_against_gold(trained, simulated_dataset):
    metrics = model_evaluate(dataset=simulated_dataset, model_version=trained)

    for key in (
        "intent_accuracy",
        "slot_f1",
        "failure_point_accuracy",
        "goal_boundary_f1",
        "rephrase_f1",
        "defect_f1",
        "goal_success_accuracy",
    ):
        assert 0 <= metrics[key] <= 1, key
    assert metrics["dialogues"] == simulated_dataset.dialogues.count()


def test_the_commands_train_label_and_evaluate(simulated_dataset, tiny_encoder, settings, tmp_path, capsys):
    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"

    call_command(
        "train",
        "--dataset",
        "simulated",
        "--name",
        "cli",
        "--encoder",
        tiny_encoder,
        "--epochs",
        "1",
        "--context-fields",
        "response",
        "previous",
        "--verbosity",
        "0",
    )
    assert ModelVersion.objects.get(name="cli").config["model"]["context_fields"] == ["response", "previous"]
    call_command("label", "--dataset", "simulated", "--model", "cli", "--verbosity", "0")
    capsys.readouterr()
    call_command("evaluate", "--dataset", "simulated", "--model", "cli")

    metrics = json.loads(capsys.readouterr().out)
    assert metrics["model"] == "cli" and "intent_accuracy" in metrics
    assert Label.objects.filter(model_version__name="cli").exists()


def test_the_commands_name_what_is_missing(simulated_dataset):
    with pytest.raises(CommandError, match="No dataset named 'nope'"):
        call_command("train", "--dataset", "nope", "--name", "x")
    with pytest.raises(CommandError, match="No model named 'ghost'"):
        call_command("label", "--dataset", "simulated", "--model", "ghost")
