"""The recipe's word model of real requests: built from the corpora's training splits only, and read
from its cached file afterwards."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from models_app.ml.plausibility import WordModel, words
from models_app.recipes.corpora import corpus_dialogues
from models_app.recipes.plausibility import cached_word_model, request_sentences

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(not (SHARED_DATA / "snips").exists(), reason="needs ../shared/data")
def test_the_sentences_are_the_training_splits_user_utterances_and_never_a_held_out_one() -> None:
    first = list(itertools.islice(request_sentences(SHARED_DATA), 200))
    assert len(first) == 200 and all(sentence.strip() for sentence in first)
    valid = {
        turn["utterance"] for d in corpus_dialogues("snips", SHARED_DATA, "valid") for turn in d["turns"]
    }
    assert not set(first) & valid


def test_a_cached_word_model_is_read_from_its_file_without_the_corpora(tmp_path: Path) -> None:
    path = tmp_path / "models" / "plausibility.txt.gz"
    WordModel(["play some jazz", "turn the lights off"]).save(path)
    model = cached_word_model(tmp_path / "no-corpora-here", path)
    assert model.sentences == ["play some jazz", "turn the lights off"]
    assert words("Play some JAZZ!") == ["play", "some", "jazz"]
