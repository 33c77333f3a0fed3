"""Sounds-alike evidence: a misheard word replaced by a served word that sounds like it."""

from __future__ import annotations

from collections import Counter

from rewrites.engine.phonetics import Phonetics, pronounced


def test_a_word_nobody_was_served_with_is_replaced_by_served_words_that_sound_like_it() -> None:
    served = Counter(
        {"reserve": 3, "a": 10, "taxi": 4, "catch": 2, "ride": 3, "listen": 5, "to": 9, "kiss": 2}
    )
    phonetics = Phonetics.from_logs(
        ["reserve", "a", "tax", "cass", "a", "ride", "lassen", "to", "kiss"], served
    )
    assert phonetics.neighbours["tax"] == ["taxi"]
    assert phonetics.neighbours["cass"] == ["catch", "kiss"]  # equally close: the one served more first
    assert "ride" not in phonetics.neighbours  # served: not suspect
    assert phonetics.corrections("reserve a tax") == ["reserve a taxi"]
    assert phonetics.corrections("a ride") == []


def test_likeness_says_how_much_the_words_put_in_sound_like_the_words_taken_out() -> None:
    phonetics = Phonetics.from_logs(["tax", "taxi", "ride", "zzxq"], Counter({"taxi": 1}))
    assert pronounced("taxi") == phonetics.codes["taxi"] and pronounced("zzxq") is None
    assert phonetics.likeness(["tax"], ["taxi"]) == 0.8
    assert phonetics.likeness(["tax"], ["ride"]) == 0.0
    assert phonetics.likeness([], ["taxi"]) == phonetics.likeness(["zzxq"], ["taxi"]) == 0.0
