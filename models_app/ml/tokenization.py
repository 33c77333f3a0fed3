"""Turn texts to word pieces, and slot spans to and from BIO tags over those word pieces.

A turn is encoded as the tokenizer's own *pair* encoding: the utterance first, its context (the
response, neighbouring utterances) second. Nothing assumes BERT: which tokens belong to the utterance
comes from ``sequence_ids`` and where they sit in the text from the offsets mapping, so RoBERTa-style
tokenizers work the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models_app.ml.data import Span, TurnInput

# Label of word pieces outside the utterance (context, special tokens) in slot tags: ignored by the loss.
IGNORE = -100
OUTSIDE = "O"
# Between the parts of the context sequence; plain text so that any tokenizer reads it.
CONTEXT_SEPARATOR = " | "


@dataclass
class EncodedTurn:
    """One turn's word pieces: ids, which ones belong to the utterance, and their character offsets."""

    input_ids: list[int]
    token_type_ids: list[int] | None
    in_utterance: list[bool]  # True for word pieces of the utterance (the pair's first sequence)
    offsets: list[tuple[int, int]]  # character offsets into the utterance (meaningful where in_utterance)
    # True for the first piece of each word of the utterance: slot tags are learnt and read there only,
    # and a word's other pieces follow it, so a span never ends inside a word ("Colum|bus").
    word_start: list[bool] | None = None

    def word_starts(self) -> list[bool]:
        if self.word_start is not None:
            return self.word_start
        return list(self.in_utterance)  # a turn encoded without word ids: every piece is its own word


def context_text(turns: Sequence[TurnInput], index: int, fields: Sequence[str]) -> str:
    """The second sequence of turn ``index``'s pair: the named context texts that are not empty."""
    parts = []
    for name in fields:
        if name == "response":
            parts.append(turns[index].response)
        elif name == "previous" and index > 0:
            parts.append(turns[index - 1].utterance)
        elif name == "next" and index + 1 < len(turns):
            parts.append(turns[index + 1].utterance)
        elif name == "nlu":
            parts.append(nlu_text(turns[index]))
    return CONTEXT_SEPARATOR.join(part.strip() for part in parts if part and part.strip())


def nlu_text(turn: TurnInput) -> str:
    """What the assistant understood, as text: "transport_traffic place_name = Columbus, GA".

    As text (not only as embeddings) the encoder can set it against the utterance, which is how an
    NLU or entity error shows, and it works for intents and values never seen in training.
    """
    parts = [turn.intent or ""]
    for span in turn.slots or ():
        value = span.value if isinstance(span.value, str) else turn.utterance[span.start : span.end]
        parts.append(f"{span.type} = {value}")
    return " ".join(part for part in parts if part)


def encode_texts(
    tokenizer: Any, utterances: Sequence[str], contexts: Sequence[str], max_tokens: int
) -> list[EncodedTurn]:
    """Encode many (utterance, context) pairs; an empty context encodes the utterance alone.

    ``longest_first`` truncation trims the longer sequence first: the context, unless the utterance
    itself takes more than half of ``max_tokens`` (then both keep about half), so the utterance and
    its slots stay whole in all but very long turns.
    """
    out: list[EncodedTurn | None] = [None] * len(utterances)
    with_context = [i for i, context in enumerate(contexts) if context]
    alone = [i for i, context in enumerate(contexts) if not context]
    for indices, paired in ((with_context, True), (alone, False)):
        if not indices:
            continue
        firsts = [utterances[i] for i in indices]
        kwargs: dict[str, Any] = {
            "truncation": "longest_first" if paired else True,
            "max_length": max_tokens,
            "return_offsets_mapping": True,
        }
        if paired:
            encoding = tokenizer(firsts, [contexts[i] for i in indices], **kwargs)
        else:
            encoding = tokenizer(firsts, **kwargs)
        for row, i in enumerate(indices):
            sequence_ids = encoding.sequence_ids(row)
            word_ids = encoding.word_ids(row)
            token_types = encoding["token_type_ids"][row] if "token_type_ids" in encoding else None
            out[i] = EncodedTurn(
                input_ids=list(encoding["input_ids"][row]),
                token_type_ids=list(token_types) if token_types is not None else None,
                in_utterance=[sequence == 0 for sequence in sequence_ids],
                offsets=[tuple(offset) for offset in encoding["offset_mapping"][row]],
                word_start=_word_starts(sequence_ids, word_ids),
            )
    return [turn for turn in out if turn is not None]


def _word_starts(sequence_ids: Sequence[int | None], word_ids: Sequence[int | None]) -> list[bool]:
    starts = []
    previous = None
    for sequence, word in zip(sequence_ids, word_ids, strict=True):
        starts.append(sequence == 0 and word is not None and word != previous)
        previous = word if sequence == 0 else None
    return starts


def slot_tag_names(slot_types: Sequence[str]) -> list[str]:
    """The BIO tag inventory: O first, then B- and I- of each slot type."""
    names = [OUTSIDE]
    for slot_type in slot_types:
        names += [f"B-{slot_type}", f"I-{slot_type}"]
    return names


def spans_to_tags(spans: Sequence[Span], turn: EncodedTurn, tag_index: dict[str, int]) -> list[int]:
    """BIO tag ids on the first piece of each word: a word that overlaps a span is in it (B on the
    span's first word). Other pieces (a word's continuation, context, special tokens) get IGNORE, so
    the loss learns one decision per word, as JointBERT does. Spans of an unknown slot type are tagged O.
    """
    starts = turn.word_starts()
    tags = [tag_index[OUTSIDE] if start else IGNORE for start in starts]
    words = _words(turn)
    for span in spans:
        begun = False
        for first, start, end in words:
            if end <= span.start or start >= span.end:
                continue
            name = f"{'I' if begun else 'B'}-{span.type}"
            if name in tag_index:
                tags[first] = tag_index[name]
            begun = True
    return tags


def _words(turn: EncodedTurn) -> list[tuple[int, int, int]]:
    """(index of the first piece, character start, character end) of each word of the utterance."""
    words: list[list[int]] = []
    for position, (start_of_word, inside, (start, end)) in enumerate(
        zip(turn.word_starts(), turn.in_utterance, turn.offsets, strict=True)
    ):
        if start_of_word:
            words.append([position, start, end])
        elif inside and words and end > start:
            words[-1][2] = max(words[-1][2], end)
    return [(first, start, end) for first, start, end in words if end > start]


def tags_to_spans(tag_names: Sequence[str], turn: EncodedTurn, utterance: str) -> list[Span]:
    """Character spans from BIO tags read on the first piece of each word (the word's other pieces
    follow it; tags elsewhere are ignored).

    An I- tag that does not continue a span of its type starts one (a lenient reading of BIO; the
    decoder's constrained Viterbi never produces one). Spans run from the first word's start to the
    last word's end; value = utterance[start:end].
    """
    spans: list[Span] = []
    current: list[Any] | None = None  # [start, end, type]

    def close() -> None:
        nonlocal current
        if current is not None:
            start, end, slot_type = current
            spans.append(Span(start, end, slot_type, utterance[start:end]))
            current = None

    for first, start, end in _words(turn):
        name = tag_names[first] if first < len(tag_names) else OUTSIDE
        if name == OUTSIDE or "-" not in name:
            close()
            continue
        prefix, slot_type = name.split("-", 1)
        if prefix == "I" and current is not None and current[2] == slot_type:
            current[1] = end
        else:
            close()
            current = [start, end, slot_type]
    close()
    return spans
