"""When the simulated assistant's NLU fails, it acts on a real but weaker classifier's reading."""

from __future__ import annotations

import random

import pytest

from simulator.nlu import WeakNlu

UTTERANCES = [
    *(("play some " + genre, "PlayMusic") for genre in ("jazz", "rock", "pop", "blues", "soul") * 20),
    *(("what is the weather in " + city, "GetWeather") for city in ("paris", "rome", "oslo", "lima") * 20),
    *(("play the radio station " + name, "play_radio") for name in ("kexp", "bbc", "npr", "kcrw") * 20),
    *(("set an alarm for " + time, "alarm_set") for time in ("six", "seven", "noon", "nine") * 20),
]


def test_a_misreading_is_never_the_right_intent_and_is_one_the_classifier_finds_close():
    nlu = WeakNlu(UTTERANCES, seed=1)
    rng = random.Random(0)
    readings = {nlu.misreading("play some jazz on the radio", "PlayMusic", rng) for _ in range(50)}
    assert "PlayMusic" not in readings
    # Shared words ("play", "radio") make the radio the likeliest mix-up, not the alarm.
    assert "play_radio" in readings


def test_the_same_seed_gives_the_same_readings():
    first = [
        WeakNlu(UTTERANCES, seed=1).misreading("play soul", "PlayMusic", random.Random(s)) for s in range(5)
    ]
    again = [
        WeakNlu(UTTERANCES, seed=1).misreading("play soul", "PlayMusic", random.Random(s)) for s in range(5)
    ]
    assert first == again


def test_a_classifier_needs_two_intents():
    with pytest.raises(ValueError, match="two intents"):
        WeakNlu([("play jazz", "PlayMusic")] * 10)


def test_its_probabilities_are_the_fitted_classifiers_own():
    nlu = WeakNlu(UTTERANCES, seed=1)
    for text in ("play some jazz on the radio", "set an alarm for nine", "weather in lima please"):
        expected = nlu.classifier.predict_proba(nlu.vectorizer.transform([text]))[0]
        assert nlu.probabilities(text) == pytest.approx(expected)
