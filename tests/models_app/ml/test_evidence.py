from __future__ import annotations

from models_app.ml.data import Span, TurnInput
from models_app.ml.evidence import EVIDENCE_SIZE, entity_evidence


def _turn(utterance: str, said: str, value: str | None) -> TurnInput:
    start = utterance.index(said)
    return TurnInput(utterance=utterance, slots=[Span(start, start + len(said), "song", value)])


def test_a_value_that_is_the_words_said_reads_as_agreement() -> None:
    known, any_slot, similarity, rewritten, containment = entity_evidence(
        _turn("play Purple Rain", "Purple Rain", "purple rain")
    )
    assert (known, any_slot, similarity, rewritten, containment) == (1.0, 1.0, 1.0, 0.0, 1.0)


def test_a_value_without_one_defaults_to_the_words_said() -> None:
    assert entity_evidence(_turn("play purple rain", "purple rain", None))[2:] == [1.0, 0.0, 1.0]


def test_another_entity_in_place_of_the_words_shows_as_a_rewritten_less_similar_value() -> None:
    evidence = entity_evidence(_turn("play purple rain", "purple rain", "Purple Haze"))
    assert evidence[3] == 1.0
    assert evidence[2] < 0.8 and evidence[4] < 0.9


def test_an_expansion_of_the_words_keeps_them_contained() -> None:
    expansion = entity_evidence(_turn("how did the warriors do", "warriors", "Golden State Warriors"))
    swap = entity_evidence(_turn("how did the warriors do", "warriors", "Washington Wizards"))
    assert expansion[3] == swap[3] == 1.0
    assert expansion[4] == 1.0 and swap[4] < expansion[4]


def test_the_worst_slot_decides() -> None:
    utterance = "play purple rain by prince"
    turn = TurnInput(
        utterance=utterance,
        slots=[Span(5, 16, "song", "purple rain"), Span(20, 26, "artist", "Madonna")],
    )
    evidence = entity_evidence(turn)
    assert evidence[3] == 0.5 and evidence[2] < 0.5


def test_a_log_without_the_assistants_slots_says_so_and_nothing_else() -> None:
    assert entity_evidence(TurnInput(utterance="play purple rain")) == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert entity_evidence(TurnInput(utterance="hello", slots=[])) == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert len(entity_evidence(TurnInput(utterance="x"))) == EVIDENCE_SIZE
