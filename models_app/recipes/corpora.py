"""Public NLU corpora as FORMAT.md dialogues (one single-turn dialogue per utterance, with its intent
and slots as gold), so they import, train and evaluate like any other dataset. Plain Python.

SNIPS is read split by split and line for line (a benchmark must not lose a line); HWU64 and SLURP go
through the simulator's loaders, which already turn their annotations into character spans.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulator.corpora import load_hwu64, load_slurp

CORPORA = ("snips", "hwu64", "slurp")


class CorpusError(ValueError):
    """A corpus file that is missing or does not read as its format says."""


def corpus_dialogues(name: str, root: Path, split: str = "train") -> Iterator[dict[str, Any]]:
    if name == "snips":
        yield from snips_dialogues(root, split)
        return
    if split != "train":
        raise CorpusError(f"{name} is available as its train split only here")
    loader = {"hwu64": load_hwu64, "slurp": load_slurp}.get(name)
    if loader is None:
        raise CorpusError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    for number, utterance in enumerate(loader(root), 1):
        spans = [{"start": s, "end": e, "type": t} for s, e, t, _ in utterance.slots]
        yield _single_turn(f"{name}-{split}-{number:06d}", utterance.text, utterance.intent, spans, name)


def snips_dialogues(root: Path, split: str) -> Iterator[dict[str, Any]]:
    """SNIPS as whitespace tokens with BIO tags: the utterance is the tokens joined by single spaces."""
    folder = root / "snips" / split
    try:
        texts = (folder / "seq.in").read_text(encoding="utf-8").splitlines()
        tags = (folder / "seq.out").read_text(encoding="utf-8").splitlines()
        intents = (folder / "label").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as error:
        raise CorpusError(f"SNIPS {split!r} split not found under {folder}") from error
    if not len(texts) == len(tags) == len(intents):
        raise CorpusError(f"{folder}: seq.in, seq.out and label differ in length")
    for number, (text, tag_line, intent) in enumerate(zip(texts, tags, intents, strict=True), 1):
        tokens, bio = text.split(), tag_line.split()
        if len(tokens) != len(bio):
            raise CorpusError(f"{folder / 'seq.out'}:{number}: {len(bio)} tags for {len(tokens)} tokens")
        yield _single_turn(
            f"snips-{split}-{number:06d}",
            " ".join(tokens),
            intent.strip(),
            bio_to_spans(tokens, bio),
            "snips",
        )


def bio_to_spans(tokens: list[str], tags: list[str]) -> list[dict[str, Any]]:
    """Character spans over the tokens joined by single spaces; an I- tag without its B- opens a span."""
    spans: list[dict[str, Any]] = []
    position = 0
    current: dict[str, Any] | None = None
    for token, tag in zip(tokens, tags, strict=True):
        start, end = position, position + len(token)
        position = end + 1
        if tag.startswith("I-") and current is not None and current["type"] == tag[2:]:
            current["end"] = end
            continue
        current = None
        if tag != "O":
            current = {"start": start, "end": end, "type": tag[2:]}
            spans.append(current)
    return spans


def _single_turn(dialogue_id: str, text: str, intent: str, spans: list[dict], source: str) -> dict[str, Any]:
    return {
        "id": dialogue_id,
        "metadata": {"corpus": source},
        "turns": [{"id": "t1", "utterance": text}],
        "labels": {"turns": {"t1": {"intent": intent, "slots": spans}}},
    }
