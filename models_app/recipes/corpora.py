"""Public corpora as FORMAT.md dialogues, so they import, train and evaluate like any other dataset.
Plain Python.

- SNIPS, HWU64 and SLURP: one single-turn dialogue per utterance, with its intent and slots as gold.
  SNIPS is read split by split and line for line (a benchmark must not lose a line); HWU64 and SLURP go
  through the simulator's loaders, which already turn their annotations into character spans.
- SGD (Schema-Guided Dialogue): real multi-domain task dialogues. Each user turn is a turn, the system's
  answer its response; the gold is the user's intent and slots and the goal segments, a goal being a
  run of turns with the same active intent (a turn with none, such as "thanks, that's all", stays with
  the goal it closes).

Only SNIPS ships a validation split (and no test split: that one is kept from the project on purpose).
HWU64, SLURP and SGD are split here 8 : 1 : 1 into ``train``, ``valid`` (model selection) and ``test``
(the figures we quote) by a hash of each utterance's text or each dialogue's id: the same split on
every machine and for every run, so ``valid`` and ``test`` are real held-out sets training never sees.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models_app.recipes.judged import JUDGED_CORPORA, JudgedCorpusError, judged_dialogues
from models_app.recipes.splits import SPLITS, in_split
from simulator.corpora import load_hwu64, load_slurp

# The NLU corpora and SGD here; the dialogues people judged (ReDial, CCPE, Repair-QA) in recipes.judged.
CORPORA = ("snips", "hwu64", "slurp", "sgd", *JUDGED_CORPORA)
# SGD's "no active intent" (greetings, thanks, goodbyes).
SGD_NO_INTENT = "NONE"


class CorpusError(ValueError):
    """A corpus file that is missing or does not read as its format says."""


def corpus_dialogues(name: str, root: Path, split: str = "train") -> Iterator[dict[str, Any]]:
    if split not in SPLITS:
        raise CorpusError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    if name == "snips":
        yield from snips_dialogues(root, split)
        return
    if name == "sgd":
        yield from sgd_dialogues(root, split)
        return
    if name in JUDGED_CORPORA:
        try:
            yield from judged_dialogues(name, root, split)
        except JudgedCorpusError as error:
            raise CorpusError(str(error)) from error
        return
    loader = {"hwu64": load_hwu64, "slurp": load_slurp}.get(name)
    if loader is None:
        raise CorpusError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    try:
        utterances = loader(root)
    except FileNotFoundError as error:
        raise CorpusError(f"{name} not found under {root}: {error.filename}") from error
    for number, utterance in enumerate(utterances, 1):
        if in_split(f"{name}:{utterance.text}", split):
            spans = [{"start": s, "end": e, "type": t} for s, e, t, _ in utterance.slots]
            yield _single_turn(f"{name}-{number:06d}", utterance.text, utterance.intent, spans, name)


def snips_dialogues(root: Path, split: str) -> Iterator[dict[str, Any]]:
    """SNIPS as whitespace tokens with BIO tags: the utterance is the tokens joined by single spaces."""
    if split == "test":
        raise CorpusError("SNIPS's test split is not here: the project is measured on it elsewhere")
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


def sgd_dialogues(root: Path, split: str) -> Iterator[dict[str, Any]]:
    """SGD's dialogues (one JSON object a line, gzip) as FORMAT.md dialogues."""
    path = root / "sgd" / "train_subset40pct_dialogues.jsonl.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if in_split(f"sgd:{record['dialogue_id']}", split):
                        yield sgd_dialogue(record)
                except (KeyError, TypeError, ValueError) as error:
                    raise CorpusError(f"{path}:{number}: not an SGD dialogue ({error})") from error
    except FileNotFoundError as error:
        raise CorpusError(f"SGD not found at {path}") from error


def sgd_dialogue(record: dict[str, Any]) -> dict[str, Any]:
    """One SGD dialogue: user turns with the system's answer as their response, intents, slots and
    goals by active intent."""
    raw = record["turns"]
    turns: list[dict[str, Any]] = []
    labels: dict[str, dict[str, Any]] = {}
    goals: list[dict[str, Any]] = []
    intent_now: str | None = None
    for position, turn in enumerate(raw):
        if turn["speaker"] != "USER":
            continue
        turn_id = f"t{len(turns) + 1}"
        utterance = turn["utterance"]
        following = raw[position + 1] if position + 1 < len(raw) else None
        response = following["utterance"] if following and following["speaker"] == "SYSTEM" else None
        turns.append({"id": turn_id, "utterance": utterance, **({"response": response} if response else {})})
        intent = _sgd_active_intent(turn["frames"], intent_now)
        label: dict[str, Any] = {"slots": _sgd_spans(turn["frames"], utterance)}
        if intent is not None:
            label["intent"] = intent
        labels[turn_id] = label
        if intent is not None and intent != intent_now:
            goals.append({"turns": [turn_id]})
            intent_now = intent
        elif goals:
            goals[-1]["turns"].append(turn_id)
    return {
        "id": f"sgd-{record['dialogue_id']}",
        "metadata": {"corpus": "sgd", "services": record.get("services", [])},
        "turns": turns,
        "labels": {"goals": goals, "turns": labels},
    }


def _sgd_active_intent(frames: list[dict[str, Any]], intent_now: str | None) -> str | None:
    """The turn's active intent: the one it moves to when a frame starts a new one, else the one it
    keeps; None when no frame has one."""
    intents = [
        frame["state"]["active_intent"]
        for frame in frames
        if frame.get("state", {}).get("active_intent", SGD_NO_INTENT) != SGD_NO_INTENT
    ]
    new = [intent for intent in intents if intent != intent_now]
    if new:
        return new[0]
    return intent_now if intents else None


def _sgd_spans(frames: list[dict[str, Any]], utterance: str) -> list[dict[str, Any]]:
    """The user's slot spans of every frame, in order; a span that overlaps an earlier one is left out
    (FORMAT.md spans do not overlap; SGD repeats a value in two services' frames)."""
    spans = sorted(
        {
            (slot["start"], slot["exclusive_end"], slot["slot"])
            for frame in frames
            for slot in frame.get("slots", [])
            if 0 <= slot["start"] < slot["exclusive_end"] <= len(utterance)
        }
    )
    kept: list[dict[str, Any]] = []
    for start, end, slot_type in spans:
        if kept and start < kept[-1]["end"]:
            continue
        kept.append({"start": start, "end": end, "type": slot_type})
    return kept
