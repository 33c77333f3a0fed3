from __future__ import annotations

import pytest

from models_app.ml.batching import collate
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.data import DialogueExample, TurnTargets
from models_app.ml.encoder import load_pretrained_encoder, load_tokenizer
from models_app.ml.features import Featurizer, build_inventories
from models_app.ml.hardware import cpu_info
from models_app.ml.losses import multitask_loss
from models_app.ml.model import LabelModel
from models_app.ml.predict import predict_with
from models_app.ml.train import TrainingCancelled, train_model
from tests.models_app.ml.factories import fast_train_config


def _gold_view(example: DialogueExample) -> dict:
    return {
        "intent": [t.intent for t in example.targets],
        "slots": [[(s.start, s.end, s.type) for s in t.slots] for t in example.targets],
        "failure_point": [t.failure_point for t in example.targets],
        "rephrase_of": [t.rephrase_of for t in example.targets],
        "defect": [t.defect for t in example.targets],
        "goals": example.goals,
        "goal_success": example.goal_success,
    }


def _predicted_view(prediction) -> dict:
    return {
        "intent": [t.intent.value for t in prediction.turns],
        "slots": [[(s.start, s.end, s.type) for s in t.slots.value] for t in prediction.turns],
        "failure_point": [t.failure_point.value for t in prediction.turns],
        "rephrase_of": [t.rephrase_of.value for t in prediction.turns],
        "defect": [t.defect.value for t in prediction.turns],
        "goals": prediction.goals.value,
        "goal_success": [s.value for s in prediction.goal_success],
    }


def test_a_tiny_model_overfits_a_handful_of_dialogues_on_every_head(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    steps: list[tuple[str, int, int]] = []
    trained = train_model(
        handmade_examples,
        None,
        tiny_model_config,
        fast_train_config(),
        progress=lambda stage, done, total, info: steps.append((stage, done, total)),
    )
    assert trained.tasks == [
        "intent",
        "slots",
        "failure_point",
        "rephrase_of",
        "defect",
        "goals",
        "goal_success",
    ]
    assert steps[-1] == ("train", 150, 150)
    predictions = predict_with(trained, handmade_examples)
    for example, prediction in zip(handmade_examples, predictions, strict=True):
        assert _predicted_view(prediction) == _gold_view(example)
        assert prediction.key == example.key


def test_intent_and_slot_gold_alone_trains_without_touching_the_other_heads(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    nlu_only = [
        DialogueExample(
            turns=[turn], targets=[TurnTargets(intent=gold.intent, slots=gold.slots)], key=turn.utterance
        )
        for example in handmade_examples
        for turn, gold in zip(example.turns, example.targets, strict=True)
    ]
    inventories = build_inventories(nlu_only)
    tokenizer = load_tokenizer(tiny_model_config.encoder)
    model = LabelModel(tiny_model_config, load_pretrained_encoder(tiny_model_config.encoder), inventories)
    features = Featurizer.for_model(tokenizer, inventories, tiny_model_config)(nlu_only)
    batch = collate(features, tokenizer.pad_token_id)
    loss, parts = multitask_loss(model(batch), batch)
    assert set(parts) == {"intent", "slots"}
    loss.backward()
    for head in (
        model.failure_point,
        model.defect,
        model.boundary,
        model.rephrase,
        model.goal_success,
        model.swapped,
    ):
        assert all(p.grad is None for p in head.parameters())
    assert all(p.grad is not None for p in model.intent.parameters())

    trained = train_model(nlu_only, None, tiny_model_config, fast_train_config(epochs=3))
    assert trained.tasks == ["intent", "slots"]
    (prediction,) = predict_with(trained, nlu_only[:1])
    # Heads without gold answer with confidence 0, so no threshold accepts them.
    assert prediction.turns[0].failure_point.confidence == 0.0 and prediction.goals.confidence == 0.0


def test_pretraining_runs_and_is_reported(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    stages: set[str] = set()
    train_model(
        handmade_examples,
        None,
        tiny_model_config,
        fast_train_config(epochs=1, pretrain_epochs=1),
        progress=lambda stage, done, total, info: stages.add(stage),
    )
    assert stages == {"pretrain", "train"}


def test_a_caller_can_cancel_training(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    with pytest.raises(TrainingCancelled):
        train_model(handmade_examples, None, tiny_model_config, fast_train_config(), should_stop=lambda: True)


def test_max_seconds_stops_early_and_still_returns_a_calibrated_model(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    trained = train_model(
        handmade_examples * 3,
        handmade_examples,
        tiny_model_config,
        fast_train_config(epochs=10_000, max_seconds=1.0),
    )
    assert trained.history["stopped_at_max_seconds"] is True
    assert trained.temperatures and trained.validation_metrics["score"] > 0


def test_auto_precision_trains_in_what_this_cpu_does_best_and_the_history_says_so(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    trained = train_model(
        handmade_examples, None, tiny_model_config, fast_train_config(epochs=2, precision="auto")
    )
    best = cpu_info().best_precision
    assert trained.train_config.precision == best and trained.history["precision"] == best
    assert trained.history["cpu"] == cpu_info().model
    assert trained.history["bf16_in_hardware"] is cpu_info().bf16_in_hardware
    assert trained.history["stopped_at_max_seconds"] is False


def test_an_unknown_precision_is_refused(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    with pytest.raises(ValueError, match="must be one of fp32, bf16, auto, not 'fp8'"):
        train_model(handmade_examples, None, tiny_model_config, fast_train_config(epochs=1, precision="fp8"))


def test_every_preset_is_found_by_name_and_an_unknown_one_is_refused() -> None:
    assert TrainConfig.preset("default") == TrainConfig()
    assert TrainConfig.preset("demo_quick").max_seconds and TrainConfig.preset("demo").precision == "auto"
    assert [TrainConfig.preset(name) for name in TrainConfig.PRESETS]
    with pytest.raises(ValueError, match="preset must be one of"):
        TrainConfig.preset("asdict")


def test_configs_round_trip_through_dicts() -> None:
    model_config = ModelConfig(encoder="roberta-base", context_fields=("response",))
    assert ModelConfig.from_dict(model_config.asdict()) == model_config
    for name in TrainConfig.PRESETS:
        preset = TrainConfig.preset(name)
        assert TrainConfig.from_dict(preset.asdict()) == preset
    assert TrainConfig.from_dict({"epochs": 2, "unknown": 1}).epochs == 2


def test_a_config_saved_before_the_entity_evidence_existed_reads_without_it() -> None:
    older = ModelConfig().asdict()
    del older["evidence_features"]
    assert ModelConfig.from_dict(older).evidence_features is False
    assert ModelConfig().evidence_features is True


def test_a_model_without_the_entity_evidence_trains_and_predicts(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    tiny_model_config.evidence_features = False
    trained = train_model(handmade_examples, None, tiny_model_config, fast_train_config(epochs=1))
    assert len(predict_with(trained, handmade_examples)) == len(handmade_examples)


def test_frozen_encoder_layers_keep_their_pretrained_weights_while_the_rest_learns(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    import torch

    pretrained = load_pretrained_encoder(tiny_model_config.encoder or "")
    config = fast_train_config()
    config.epochs, config.frozen_encoder_layers = 2, 1

    trained = train_model(handmade_examples, None, tiny_model_config, config)

    encoder = trained.model.encoder
    words = encoder.embeddings.word_embeddings.weight
    assert torch.equal(words, pretrained.embeddings.word_embeddings.weight)
    first, second = encoder.encoder.layer[0], encoder.encoder.layer[1]
    for mine, original in zip(first.parameters(), pretrained.encoder.layer[0].parameters(), strict=True):
        assert torch.equal(mine, original)
    changed = [
        not torch.equal(mine, original)
        for mine, original in zip(second.parameters(), pretrained.encoder.layer[1].parameters(), strict=True)
    ]
    assert any(changed)
    assert trained.history["frozen_parameters"] > 0


def test_freezing_more_layers_than_the_encoder_has_is_refused(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    config = fast_train_config()
    config.frozen_encoder_layers = 3  # the tiny encoder has two
    with pytest.raises(ValueError, match="has 2 layers"):
        train_model(handmade_examples, None, tiny_model_config, config)
