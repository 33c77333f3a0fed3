"""Real dialogues judged by people, as FORMAT.md dialogues: the labels people feel. Plain Python.

- ReDial (``uss_redial/ReDial.txt``, User Satisfaction Simulation): real movie-recommendation chats.
  Every user line is a turn, the recommender's lines after it its response. Each turn was rated 1-5
  for satisfaction by 3-5 people and so was the whole dialogue (its ``OVERALL`` line): a turn is a
  **defect** when its mean rating is below 2.5, and the dialogue's one goal **succeeded** when its
  overall mean is at least 2.5 (the convention the project is judged by, ``../shared/data/README.md``).
- CCPE (``uss_ccpe/CCPE_first250.txt``, the same columns): real spoken movie-preference talk. A user
  line whose action is ``ENTITY_PREFERENCE+TYPE`` **states a preference** about a film, a genre, a
  person or something else; every other user line states none (an empty ``preferences`` list, which
  is gold too). The data names neither the value nor the polarity, so the value is the title or name
  the line says (quoted, or capitalised words) or, failing that, the one the assistant had just asked
  about ("Do you like movies like Thor?"), or else the line's own words; the polarity is a dislike where
  the line negates. Defects and goal success come from its ratings as for ReDial.
- Repair-QA (``repairqa/train.json``): crowd-written third-position repairs. Each item becomes a
  dialogue: the ambiguous question and its wrong answer (a defect), the person's repair (a **rephrase**
  of the question, answered right; ``TPR-1`` or ``TPR-2`` by a hash of the item, so both shapes are
  seen), then another item's question, which restates nothing: without that turn, "every second turn
  restates the first" would be a perfect rephrase detector. The question's ``rewrite`` is the
  reference rewrite.

The ratings come with no licence statement: they are read from ``../shared/data`` for training and
measurement only, never copied into the project. Each source is split 8 : 1 : 1 by a stable hash of
each dialogue's id (``corpora.in_split``), like the other corpora without splits of their own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from statistics import mean
from typing import Any

from models_app.recipes.splits import in_split

JUDGED_CORPORA = ("redial", "ccpe", "repairqa")
# A turn whose mean rating is below this is a defect; a dialogue whose overall mean reaches it succeeded.
SATISFIED = 2.5
# CCPE's entity types as the open preference keys the store keeps.
CCPE_KEYS = {
    "MOVIE_OR_SERIES": "movie",
    "MOVIE_GENRE_OR_CATEGORY": "genre",
    "PERSON": "person",
    "SOMETHING_ELSE": "other",
}
PREFERENCE_ACTION = "ENTITY_PREFERENCE"
_NEGATION = re.compile(r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|hate|dislike|can'?t stand)\b", re.I)
_QUOTED = re.compile(r'"([^"]{2,80})"')
_WORD = re.compile(r"[\w'\u2019:-]+")
# Words that join the capitalised words of one name ("The Lord of the Rings").
_BREAK = re.compile(r"[.,;!?]")
_CONNECTORS = frozenset({"of", "the", "and", "a", "in", "on"})
# What a line says it likes, where it names no title: "i like romantic comedies", "a fan of musicals".
_LIKED = re.compile(
    r"\b(?:like|love|enjoy|prefer|fan of|into)\s+(?:watching\s+|the\s+)?([a-z][a-z' -]{2,40}?)"
    r"(?=[.,!?]|$|\s(?:and|but|because|that|a lot|too|as)\b)"
)
# "Do you like movies like Thor?": the name the assistant asked about (capitalised, as the data writes it).
_ASKED_ABOUT = re.compile(r"\b(?i:movies? like|films? like|like|about|of|seen)\s+([A-Z][^?.!,]{1,60})")
# Words that start a sentence in capitals without naming anything.
_NOT_NAMES = frozenset(
    {"I", "I'm", "I've", "I'd", "Yeah", "Yes", "No", "Oh", "Ok", "Okay", "Well", "So", "And"}
)


class JudgedCorpusError(ValueError):
    """A judged corpus that is missing or does not read as its format says."""


def judged_dialogues(name: str, root: Path, split: str) -> Iterator[dict[str, Any]]:
    """The corpus ``name``'s dialogues of ``split`` as FORMAT.md dialogues."""
    readers = {"redial": _redial, "ccpe": _ccpe, "repairqa": _repairqa}
    if name not in readers:
        raise JudgedCorpusError(f"unknown judged corpus {name!r}; known: {', '.join(JUDGED_CORPORA)}")
    for dialogue in readers[name](root):
        if in_split(f"{name}:{dialogue['id']}", split):
            yield dialogue


# ---------------------------------------------------------------------------------------------------
# The User Satisfaction Simulation files (ReDial, CCPE): ROLE <tab> text <tab> action <tab> ratings
# ---------------------------------------------------------------------------------------------------


def _rated_chats(path: Path) -> Iterator[tuple[int, list[tuple[str, str, str, list[int]]]]]:
    """(first line number, lines) for each chat of the file; a chat ends at a blank line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise JudgedCorpusError(f"not found: {path}") from error
    chat: list[tuple[str, str, str, list[int]]] = []
    first = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if chat:
                yield first, chat
            chat = []
            continue
        fields = line.split("\t")
        if len(fields) < 2 or fields[0] not in ("USER", "SYSTEM"):
            raise JudgedCorpusError(f"{path}:{number}: expected USER or SYSTEM, a tab and the text")
        ratings = fields[3] if len(fields) > 3 else ""
        try:
            scores = [int(score) for score in ratings.split(",") if score.strip()]
        except ValueError as error:
            raise JudgedCorpusError(f"{path}:{number}: ratings must be whole numbers: {ratings!r}") from error
        if not chat:
            first = number
        chat.append((fields[0], fields[1].strip(), fields[2].strip() if len(fields) > 2 else "", scores))
    if chat:
        yield first, chat


def _rated_dialogue(
    dialogue_id: str, source: str, chat: list[tuple[str, str, str, list[int]]], path: Path, first: int
) -> tuple[dict[str, Any], list[str]]:
    """The chat as a dialogue with defects and goal success from its ratings; also each turn's action."""
    turns: list[dict[str, Any]] = []
    labels: dict[str, dict[str, Any]] = {}
    actions: list[str] = []
    opening: list[str] = []
    overall: list[int] = []
    for role, text, action, scores in chat:
        if role == "SYSTEM":
            if turns:
                turns[-1]["response"] = f"{turns[-1].get('response', '')} {text}".strip()
            else:
                opening.append(text)
            continue
        if text == "OVERALL":
            overall = scores
            continue
        turn_id = f"t{len(turns) + 1}"
        turns.append({"id": turn_id, "utterance": text})
        actions.append(action)
        labels[turn_id] = {"defect": mean(scores) < SATISFIED} if scores else {}
    if not turns:
        raise JudgedCorpusError(f"{path}:{first}: a chat with no user turn")
    goals: list[dict[str, Any]] = [{"turns": [turn["id"] for turn in turns]}]
    if overall:
        goals[0]["success"] = mean(overall) >= SATISFIED
    metadata: dict[str, Any] = {"corpus": source}
    if opening:
        metadata["opening"] = " ".join(opening)
    dialogue = {
        "id": dialogue_id,
        "metadata": metadata,
        "turns": turns,
        "labels": {"goals": goals, "turns": labels},
    }
    return dialogue, actions


def _redial(root: Path) -> Iterator[dict[str, Any]]:
    path = root / "uss_redial" / "ReDial.txt"
    for number, (first, chat) in enumerate(_rated_chats(path), 1):
        dialogue, _actions = _rated_dialogue(f"redial-{number:04d}", "redial", chat, path, first)
        yield dialogue


def _ccpe(root: Path) -> Iterator[dict[str, Any]]:
    path = root / "uss_ccpe" / "CCPE_first250.txt"
    for number, (first, chat) in enumerate(_rated_chats(path), 1):
        dialogue, actions = _rated_dialogue(f"ccpe-{number:04d}", "ccpe", chat, path, first)
        # The name the talk is about: the last one the assistant asked about or the person said.
        topic = _asked_about(dialogue["metadata"].get("opening", ""))
        for turn, action in zip(dialogue["turns"], actions, strict=True):
            kind, _, entity_type = action.partition("+")
            preferences: list[dict[str, Any]] = []
            if kind == PREFERENCE_ACTION:
                key = CCPE_KEYS.get(entity_type, "other")
                preferences.append(ccpe_preference(turn["utterance"], key, topic))
            dialogue["labels"]["turns"][turn["id"]]["preferences"] = preferences
            named = _named_in(turn["utterance"])
            said = turn["utterance"][named[0] : named[1]] if named else None
            topic = _asked_about(turn.get("response", "")) or said or topic
        yield dialogue


def _asked_about(text: str) -> str | None:
    about = _ASKED_ABOUT.search(text)
    return about.group(1).strip() if about else None


def ccpe_preference(utterance: str, key: str, topic: str | None) -> dict[str, Any]:
    """A stated preference of a CCPE line: the name it says, else the one the talk is about, else its
    own words; a dislike where the line negates."""
    preference: dict[str, Any] = {"domain": "movies", "key": key}
    named = _named_in(utterance)
    if named is not None:
        start, end = named
        preference.update(value=utterance[start:end], start=start, end=end)
    else:
        preference["value"] = topic or utterance.strip()
    preference["polarity"] = "dislike" if _NEGATION.search(utterance) else "like"
    return preference


def _named_in(utterance: str) -> tuple[int, int] | None:
    """The span of a quoted title, else of the longest run of capitalised words that names something
    ("Stanley Kubrick", "The Shape of Water"), else of what the line says it likes ("romantic
    comedies"). A lone capitalised word that opens a sentence, or one that never names anything
    ("I", "Yeah", "It's"), names nothing."""
    quoted = _QUOTED.search(utterance)
    if quoted:
        return quoted.start(1), quoted.end(1)
    best: tuple[int, int] | None = None
    run: list[re.Match[str]] = []
    for word in [*_WORD.finditer(utterance), None]:
        text = word.group(0).replace("\u2019", "'") if word else ""
        capitalised = bool(text[:1].isupper()) and text not in _NOT_NAMES
        # A name never runs on past a comma or the end of a sentence.
        joined = not run or word is None or not _BREAK.search(utterance[run[-1].end() : word.start()])
        if joined and (capitalised or (run and text.lower() in _CONNECTORS)):
            run.append(word)  # type: ignore[arg-type]  # a word, not the closing None
            continue
        while run and run[-1].group(0).lower() in _CONNECTORS:
            run.pop()
        if run:
            first, last = run[0], run[-1]
            before = utterance[: first.start()].rstrip()
            opens_sentence = not before or before[-1] in ".!?"
            if (len(run) > 1 or not opens_sentence) and (
                best is None or last.end() - first.start() > best[1] - best[0]
            ):
                best = (first.start(), last.end())
        run = [word] if word is not None and capitalised else []
    if best is not None:
        return best
    liked = _LIKED.search(utterance)
    return (liked.start(1), liked.end(1)) if liked else None


# ---------------------------------------------------------------------------------------------------
# Repair-QA: a question, its wrong answer, a person's repair
# ---------------------------------------------------------------------------------------------------


def _repairqa(root: Path) -> Iterator[dict[str, Any]]:
    path = root / "repairqa" / "train.json"
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise JudgedCorpusError(f"not found: {path}") from error
    except json.JSONDecodeError as error:
        raise JudgedCorpusError(f"{path}:{error.lineno}: not JSON: {error.msg}") from error
    if not isinstance(items, list) or not items:
        raise JudgedCorpusError(f"{path}: expected a list of repairs")
    required = ("id", "question", "long-answer", "TPR-1", "TPR-2", "TPR-Ans", "Ref-Rewrite")
    for position, item in enumerate(items):
        missing = [field for field in required if not isinstance(item, dict) or field not in item]
        if missing:
            raise JudgedCorpusError(f"{path}: item {position}: missing {', '.join(missing)}")
    for position, item in enumerate(items):
        yield repairqa_dialogue(item, items[_stable_other(position, len(items), str(item["id"]))])


def _stable_other(position: int, count: int, key: str) -> int:
    """Another item's position, the same on every machine (a hash, not Python's salted one)."""
    step = 1 + int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % (count - 1)
    return (position + step) % count


def repairqa_dialogue(item: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """One repair as a three-turn dialogue: the question, the repair, another question."""
    digest = int(hashlib.sha256(str(item["id"]).encode("utf-8")).hexdigest(), 16)
    repair = item["TPR-1"] if digest % 2 == 0 else item["TPR-2"]
    turns = [
        {"id": "t1", "utterance": str(item["question"]), "response": str(item["long-answer"])},
        {"id": "t2", "utterance": str(repair), "response": str(item["TPR-Ans"])},
        {"id": "t3", "utterance": str(other["question"]), "response": str(other["long-answer"])},
    ]
    labels = {
        "t1": {"rephrase_of": None, "defect": True, "rewrite": str(item["Ref-Rewrite"])},
        "t2": {"rephrase_of": "t1", "defect": False},
        "t3": {"rephrase_of": None},
    }
    return {
        "id": f"repairqa-{item['id']}",
        "metadata": {"corpus": "repairqa", "repair": "TPR-1" if digest % 2 == 0 else "TPR-2"},
        "turns": turns,
        "labels": {"goals": [{"turns": ["t1", "t2"], "success": True}, {"turns": ["t3"]}], "turns": labels},
    }
