from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models_app.ml.checkpoint import load_trained
from models_app.ml.config import ModelConfig
from models_app.ml.data import DialogueExample, TurnInput
from models_app.ml.features import Featurizer, build_inventories, numerical_size
from models_app.ml.heads import reading_agreement
from models_app.ml.plausibility import NO_PLAUSIBILITY, PLAUSIBILITY_FILE, WordModel
from models_app.ml.predict import predict_with
from models_app.ml.train import train_model
from tests.models_app.ml.factories import fast_train_config

REQUESTS = [
    "set an alarm for seven thirty am",
    "set an alarm for six am",
    "wake me up at seven thirty",
    "play the latest album by imagine dragons",
    "play some music by the beatles",
    "what is the weather in paris today",
    "what is the time in london",
    "turn off the lights in the kitchen",
]


def test_a_recogniser_slip_reads_less_likely_than_what_people_say() -> None:
    model = WordModel(REQUESTS)
    said = model.score("set an alarm for seven thirty")
    slipped = model.score("set an alarm for seven thirsty importantly")
    assert said is not None and slipped is not None
    assert slipped.mean < said.mean and slipped.lowest < said.lowest
    assert slipped.unknown_share == pytest.approx(2 / 7) and said.unknown_share == 0.0
    assert slipped.least_likely in ("thirsty", "importantly")


def test_words_are_compared_without_case_or_punctuation() -> None:
    model = WordModel(REQUESTS)
    assert model.score("Play some music, by The Beatles!") == model.score("play some music by the beatles")


def test_an_utterance_without_words_is_not_scored() -> None:
    model = WordModel(REQUESTS)
    assert model.score(" ... ") is None
    assert model.features("") == NO_PLAUSIBILITY


def test_the_features_are_bounded_and_say_the_turn_was_scored() -> None:
    features = WordModel(REQUESTS).features("xylophone quantum zebra")
    assert features[0] == 1.0
    assert all(-1.0 <= value <= 1.0 for value in features)
    assert features[3] == 1.0  # every word unknown


def test_a_word_model_saved_and_loaded_scores_the_same(tmp_path: Path) -> None:
    model = WordModel(REQUESTS)
    model.save(tmp_path / "words.txt.gz")
    again = WordModel.load(tmp_path / "words.txt.gz")
    assert again.sentences == model.sentences
    assert again.score("play music by imagine dragons") == model.score("play music by imagine dragons")


def test_a_word_model_needs_sentences_with_words() -> None:
    with pytest.raises(ValueError, match="at least one sentence"):
        WordModel(["", "?!"])


def test_without_a_word_model_the_plausibility_reads_unscored(tiny_model_config: ModelConfig) -> None:
    from models_app.ml.encoder import load_tokenizer

    example = DialogueExample(turns=[TurnInput(utterance="play music")])
    featurizer = Featurizer.for_model(
        load_tokenizer(tiny_model_config.encoder or ""), build_inventories([example]), tiny_model_config
    )
    (features,) = featurizer([example])
    assert len(features.numerical[0]) == numerical_size(True, True)
    assert features.numerical[0][-4:] == NO_PLAUSIBILITY


def test_the_reading_agreement_says_where_the_model_reads_another_intent() -> None:
    logits = torch.tensor([[4.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assistant = torch.tensor([0, 2, -1])  # agrees, disagrees, an intent the model does not know
    agreement = reading_agreement(logits, assistant)
    assert agreement[0, 0] == 1.0 and agreement[0, 3] == 1.0 and agreement[0, 1] > 0.9
    assert agreement[1, 0] == 1.0 and agreement[1, 3] == 0.0 and agreement[1, 1] < 0.1
    assert agreement[2].tolist()[:2] == [0.0, 0.0] and agreement[2, 3] == 0.0


def test_a_model_with_a_word_model_saves_it_and_predicts_the_same_after_loading(
    tmp_path: Path, handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    model = WordModel(REQUESTS)
    held_out = handmade_examples * 3  # enough gold failure points for the second stage
    trained = train_model(
        handmade_examples, held_out, tiny_model_config, fast_train_config(epochs=1), word_model=model
    )
    trained.save(tmp_path / "model")
    assert (tmp_path / "model" / PLAUSIBILITY_FILE).exists()
    loaded = load_trained(tmp_path / "model")
    assert loaded.word_model is not None and loaded.word_model.sentences == model.sentences
    # The second stage fitted in training is fitted after loading too.
    assert trained.history["failure_stage_fitted"] is True
    assert loaded.model.failure_stage is not None
    assert bool(loaded.model.failure_stage.fitted)
    before = predict_with(trained, handmade_examples)
    after = predict_with(loaded, handmade_examples)
    for mine, theirs in zip(after, before, strict=True):
        assert [t.failure_point.confidence for t in mine.turns] == pytest.approx(
            [t.failure_point.confidence for t in theirs.turns], abs=1e-5
        )


def test_a_config_saved_before_the_failure_evidence_existed_reads_without_it() -> None:
    older = ModelConfig().asdict()
    del older["plausibility_features"], older["failure_evidence"], older["failure_stage"]
    config = ModelConfig.from_dict(older)
    assert config.plausibility_features is False and config.failure_evidence is False
    assert config.failure_stage is False


def test_a_model_without_the_failure_evidence_trains_and_predicts(
    handmade_examples: list[DialogueExample], tiny_model_config: ModelConfig
) -> None:
    tiny_model_config.failure_evidence = False
    tiny_model_config.plausibility_features = False
    tiny_model_config.failure_stage = False
    trained = train_model(handmade_examples, None, tiny_model_config, fast_train_config(epochs=1))
    assert len(predict_with(trained, handmade_examples)) == len(handmade_examples)


def test_the_second_stage_learns_a_rare_failure_point_from_one_evidence_number() -> None:
    from models_app.ml.heads import FailureStage

    torch.manual_seed(0)
    # 200 turns, 10% of them "entity": only the first evidence number (a slot value unlike the words)
    # tells them apart; the joint model's probabilities (the last two columns) say "none" throughout.
    rare = torch.arange(200) % 10 == 0
    inputs = torch.stack([rare.float(), torch.rand(200), torch.ones(200), torch.zeros(200)], dim=-1)
    targets = rare.long()
    stage = FailureStage(inputs=4, classes=2)
    assert not bool(stage.fitted)
    assert stage.fit(inputs, targets)
    assert bool(stage.fitted)
    assert torch.equal(stage(inputs).argmax(-1), targets)


def test_the_second_stage_is_not_fitted_on_too_little_or_one_sided_gold() -> None:
    from models_app.ml.heads import FailureStage

    stage = FailureStage(inputs=3, classes=2)
    assert not stage.fit(torch.rand(10, 3), torch.tensor([0, 1] * 5))
    assert not stage.fit(torch.rand(50, 3), torch.zeros(50, dtype=torch.long))
    assert not bool(stage.fitted)


def test_weighing_failure_points_alike_flags_more_turns_than_weighing_them_by_frequency() -> None:
    from models_app.ml.heads import FailureStage

    torch.manual_seed(0)
    inputs = torch.rand(300, 3)  # no evidence at all: only the weighting decides
    targets = (torch.arange(300) % 10 == 0).long()
    flagged = {}
    for balance in (0.0, 1.0):
        torch.manual_seed(1)
        stage = FailureStage(inputs=3, classes=2)
        assert stage.fit(inputs, targets, balance=balance)
        flagged[balance] = int(stage(inputs).argmax(-1).sum())
    assert flagged[0.0] < 30 < flagged[1.0]
