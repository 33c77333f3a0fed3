from __future__ import annotations

import pytest

from models_app.ml.data import Span
from models_app.ml.encoder import default_encoder_path, load_tokenizer
from models_app.ml.tokenization import encode_texts, slot_tag_names, spans_to_tags, tags_to_spans


def _span(utterance: str, text: str, slot_type: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = utterance.index(text, start + 1)
    return Span(start, start + len(text), slot_type, text)


TRICKY = [
    ("play café del mar by josé gonzález", [("café del mar", "song", 0), ("josé gonzález", "artist", 0)]),
    ("  wake me up at 7:30 am!  ", [("7:30 am", "time", 0)]),
    ("play 🎵 the the by the the 🎵", [("the the", "song", 0), ("the the", "artist", 1)]),
    (
        "book a table at l'atelier, paris (france).",
        [("l'atelier", "restaurant", 0), ("paris", "city", 0), ("france", "country", 0)],
    ),
    ("add über-cool naïve songs 😀😀 to my playlist", [("über-cool naïve songs", "playlist", 0)]),
    ("new york new york", [("new york", "city", 0), ("new york", "city", 1)]),
]


@pytest.fixture(scope="module", params=["tiny", "minilm"])
def tokenizer(request: pytest.FixtureRequest, tiny_encoder: str):
    return load_tokenizer(tiny_encoder if request.param == "tiny" else default_encoder_path())


@pytest.mark.parametrize(("utterance", "wanted"), TRICKY)
def test_spans_round_trip_through_word_piece_tags(tokenizer, utterance: str, wanted: list) -> None:
    spans = [_span(utterance, text, slot_type, occurrence) for text, slot_type, occurrence in wanted]
    names = slot_tag_names(sorted({span.type for span in spans}))
    index = {name: i for i, name in enumerate(names)}
    (turn,) = encode_texts(tokenizer, [utterance], ["a response | the previous utterance"], 64)
    tags = spans_to_tags(spans, turn, index)
    decoded = tags_to_spans([names[t] if t >= 0 else "O" for t in tags], turn, utterance)
    assert decoded == sorted(spans, key=lambda span: span.start)
    assert all(span.value == utterance[span.start : span.end] for span in decoded)


def test_context_pieces_are_never_tagged(tokenizer) -> None:
    utterance = "play jazz"
    (turn,) = encode_texts(tokenizer, [utterance], ["play jazz music"], 64)
    tags = spans_to_tags([Span(5, 9, "genre")], turn, {"O": 0, "B-genre": 1, "I-genre": 2})
    tagged = [offset for offset, t in zip(turn.offsets, tags, strict=True) if t > 0]
    assert tagged and all(5 <= start < end <= 9 for start, end in tagged)
    assert sum(1 for t in tags if t == 1) == 1
    assert all(t == -100 for t, inside in zip(tags, turn.in_utterance, strict=True) if not inside)


def test_a_long_context_is_truncated_before_the_utterance(tokenizer) -> None:
    # longest_first leaves a short utterance whole (the context keeps what is left, at least half).
    utterance = "set an alarm for seven am tomorrow"
    (turn,) = encode_texts(tokenizer, [utterance], ["word " * 200], 64)
    assert len(turn.input_ids) == 64
    covered = max(end for (start, end), inside in zip(turn.offsets, turn.in_utterance, strict=True) if inside)
    assert covered == len(utterance)


def test_only_the_first_piece_of_each_word_is_tagged(tokenizer) -> None:
    utterance = "play scorpions by gonzález"
    (turn,) = encode_texts(tokenizer, [utterance], ["a response"], 64)
    tags = spans_to_tags(
        [_span(utterance, "scorpions", "artist")], turn, {"O": 0, "B-artist": 1, "I-artist": 2}
    )
    assert sum(1 for t in tags if t != -100) == len(utterance.split())
    assert tags.count(1) == 1 and tags.count(2) == 0


def test_a_words_other_pieces_follow_its_first_piece() -> None:
    # Whatever the model says on a continuation piece, the word stays whole in its span.
    utterance = "play scorpions"
    (turn,) = encode_texts(load_tokenizer(default_encoder_path()), [utterance], [""], 64)
    pieces = [i for i, inside in enumerate(turn.in_utterance) if inside]
    assert len(pieces) > 2, "the test needs a word of several pieces"
    names = ["O"] * len(turn.input_ids)
    names[pieces[1]] = "B-artist"  # the first piece of "scorpions"; its other pieces keep "O"
    assert tags_to_spans(names, turn, utterance) == [Span(5, 14, "artist", "scorpions")]
