"""The recogniser's confusions come from a pronunciation model: words that sound alike."""

from __future__ import annotations

import random

from rapidfuzz.distance import Levenshtein

from simulator.asr import Asr, phoneme_code

VOCABULARY = sorted(
    ["weather", "whether", "feather", "four", "for", "two", "to", "too", "play", "pay", "clay"]
)


def test_a_word_is_heard_as_vocabulary_words_that_sound_alike_the_closest_first():
    asr = Asr(VOCABULARY)
    heard = asr.confusions("weather")
    assert heard[0] == "whether"  # the same sounds, spelled otherwise
    assert set(heard) <= set(VOCABULARY) and "weather" not in heard
    for word in heard:
        assert Levenshtein.distance(asr.code("weather"), asr.code(word)) <= 1


def test_function_words_have_their_homophones():
    asr = Asr(VOCABULARY)
    assert asr.homophones("to") == ["too", "two"]
    assert asr.homophones("for") == ["four"]


def test_a_word_the_dictionary_does_not_know_has_no_confusions():
    assert Asr(VOCABULARY).confusions("xqzzv") == []


def test_phonemes_are_coded_without_stress():
    assert phoneme_code(["W", "EH1", "DH", "ER0"]) == phoneme_code(["W", "EH0", "DH", "ER1"])
    assert len(phoneme_code(["W", "EH1", "DH", "ER0"])) == 4


def test_a_corruption_changes_a_meaningful_word_the_same_way_for_the_same_seed():
    asr = Asr(VOCABULARY)
    outcomes = []
    for _ in range(2):
        tokens, tags = ["what", "is", "the", "weather"], [-1, -1, -1, -1]
        assert asr.corrupt(tokens, tags, random.Random(3), -1)
        outcomes.append(tokens)
    assert outcomes[0] == outcomes[1] != ["what", "is", "the", "weather"]
