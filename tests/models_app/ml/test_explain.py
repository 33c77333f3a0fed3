from __future__ import annotations

from models_app.ml.data import Predicted, Span, TurnInput, TurnPrediction
from models_app.ml.explain import failure_evidence
from models_app.ml.plausibility import WordModel

WORDS = WordModel(["what time is it in tokyo", "what is the time in paris", "play purple rain by prince"])


def _predicted(intent: str, confidence: float, failure: str) -> TurnPrediction:
    return TurnPrediction(
        intent=Predicted(intent, confidence),
        slots=Predicted([], 1.0),
        failure_point=Predicted(failure, 0.8),
        rephrase_of=Predicted(-1, 1.0),
        defect=Predicted(False, 1.0),
    )


def _says(items: list[dict[str, str]], kind: str) -> str:
    return next(item["says"] for item in items if item["kind"] == kind)


def test_a_reading_that_differs_from_the_assistants_speaks_for_an_nlu_error_first() -> None:
    turn = TurnInput("what time is it in tokyo", intent="qa_maths")
    items = failure_evidence(turn, _predicted("datetime_query", 0.91, "nlu"), WORDS)
    assert items[0] == {
        "kind": "reading",
        "says": "the assistant read `qa_maths`; the words read like `datetime_query` (91%)",
        "points_to": "nlu",
    }
    assert _says(items, "plausibility") == "the heard words read like a request people make"


def test_unlikely_heard_words_name_the_word_and_speak_for_the_recogniser() -> None:
    turn = TurnInput("what time is it in tokyo importantly", intent="datetime_query", asr_confidence=0.42)
    items = failure_evidence(turn, _predicted("datetime_query", 0.95, "asr"), WORDS)
    assert [item["points_to"] for item in items[:2]] == ["asr", "asr"]
    assert "“importantly”" in _says(items, "plausibility")
    assert _says(items, "recogniser") == "the recogniser was unsure of the words (0.42)"
    assert _says(items, "reading").startswith("the assistant read `datetime_query`, and the words read so")


def test_a_slot_value_that_is_not_the_words_said_speaks_for_an_entity_error() -> None:
    utterance = "play purple rain by prince"
    turn = TurnInput(
        utterance,
        intent="play_music",
        slots=[Span(5, 16, "song_name", "Purple Haze"), Span(20, 26, "artist_name", "Prince")],
    )
    items = failure_evidence(turn, _predicted("play_music", 0.9, "entity"), WORDS)
    assert items[0]["kind"] == "entity" and items[0]["points_to"] == "entity"
    assert "“purple haze” is not what was said (“purple rain”" in items[0]["says"]


def test_an_expanded_entity_reads_as_the_words_said() -> None:
    turn = TurnInput("play prince", slots=[Span(5, 11, "artist_name", "Prince Rogers Nelson")])
    items = failure_evidence(turn, _predicted("play_music", 0.9, "none"), None)
    assert items == [
        {"kind": "entity", "says": "the assistant's slot values are the words said", "points_to": "none"}
    ]


def test_a_turn_without_the_assistants_reading_or_a_word_model_has_little_to_say() -> None:
    assert failure_evidence(TurnInput("hello"), _predicted("greet", 0.9, "none"), None) == []
