"""Training-data formats of an export, streamed: each converter reads the FORMAT.md lines that
``iter_export_lines`` yields and yields text chunks, one dialogue at a time, so an export of any size
runs in constant memory and a streamed response sends its first byte at once.

Which labels feed the formats: a turn's intent is the label's ``intent`` and its slots the label's
``slots`` (what should have happened), never the turn's own ``intent`` and ``slots`` (what the
assistant did; only the CSV shows that, as ``assistant_intent``). A turn is *labelled* for the NLU
formats (conll, hf, rasa) when its label has an ``intent`` (``null`` included) or ``slots``; other
turns, and turns whose utterance has no token, are left out.

- ``jsonl``: the FORMAT.md lines unchanged.
- ``conll``: CoNLL BIO, a sentence per labelled turn::

      # id = d1/t1
      # text = play purple haze
      # intent = PlayMusic
      play<TAB>O
      purple<TAB>B-song
      haze<TAB>I-song
      <blank line>

  Tokens are the utterance split on whitespace (so a token never holds a space or a tab). A token
  takes the tag of the slot span that covers any of its characters: ``B-`` on the span's first token,
  ``I-`` on the following ones, ``O`` where no span covers it. A span that starts or ends inside a
  token ("[10]am") tags the whole token: token classifiers cannot tag part of a token, and dropping
  the slot would teach the model that there is none. Where two spans touch one token, the first one
  wins. ``# intent = <none>`` marks a turn not meant for the assistant (a ``null`` intent); a turn
  with slots but no intent label has no ``# intent`` line. Line breaks in the comments' values become
  spaces. A token that starts with ``#`` stays a token line: read comments only before a sentence's
  first token.
- ``rasa``: Rasa NLU training data (YAML, ``version: "3.1"``), one ``- intent:`` block per example,
  entities inline. Rasa groups examples by intent, and writing them grouped would need every example
  of the dataset in memory (or one pass per intent); Rasa merges repeated intent blocks, so the
  export writes them as they come, in one pass. Turns with a ``null`` intent are left out (Rasa has
  no "not for the assistant" example; add an out-of-scope intent yourself if you want one), as are
  turns with slots but no intent. Entities keep their character spans (Rasa's tokenizer decides what
  to make of a span inside a token). See ``_rasa_text`` for the escaping.
- ``csv``: one row per turn, labelled or not, RFC 4180 (``\\r\\n``, fields quoted when needed), header
  ``CSV_COLUMNS``. Empty means "no label"; ``intent`` is ``<none>`` for a ``null`` intent;
  ``slots`` and ``preferences`` are the label's spans and preferences as JSON; ``rewrite`` is the
  text; ``defect`` and ``goal_success`` are ``true``/``false``;
  ``position`` counts from 0 (as ``Turn.position``); ``goal`` is the index of the goal segment the
  turn is in. A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``,
  ``-``, ``@``, a tab, a carriage return or NUL, or their full-width forms) gets a leading ``'``, as
  OWASP's "CSV Injection" advises: the cell then shows as text (``-5 degrees`` reads ``'-5 degrees``
  in a plain-text reader). Separators, quotes and line breaks inside a cell are already quoted
  (RFC 4180), so no cell can start in the middle of another.
- ``hf``: JSON Lines for a Hugging Face token-classification dataset, one object per labelled turn:
  ``{"id": "d1/t1", "tokens": [...], "ner_tags": ["O", "B-song", ...], "intent": "PlayMusic"}``,
  tokens and tags as in ``conll``, string tags (map them to ids with a ``ClassLabel``), ``intent``
  ``null`` both for a ``null`` intent and where only slots are labelled.

Whitespace in a slot type becomes ``_`` in a BIO tag, so that a tag stays one column.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from annotations.formats.exporting import EXPORT_BATCH_SIZE, LabelSelection, iter_export_lines
from annotations.label_filters import LabelFilter
from annotations.models import Dataset
from selflearn_site.exceptions import ApplicationError

NO_INTENT = "<none>"
CSV_COLUMNS = (
    "dialogue_id",
    "turn_id",
    "position",
    "utterance",
    "response",
    "assistant_intent",
    "intent",
    "slots",
    "failure_point",
    "rephrase_of",
    "defect",
    "preferences",
    "rewrite",
    "goal",
    "goal_success",
)
RASA_VERSION = "3.1"

_TOKEN = re.compile(r"\S+")
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class _Turn:
    """A turn of a dialogue line with its label (``{}`` if none)."""

    dialogue_id: str
    turn_id: str
    position: int
    turn: dict[str, Any]
    label: dict[str, Any]

    @property
    def utterance(self) -> str:
        return self.turn.get("utterance") or ""

    @property
    def example_id(self) -> str:
        return f"{self.dialogue_id}/{self.turn_id}"

    @property
    def has_nlu_label(self) -> bool:
        return "intent" in self.label or "slots" in self.label

    @property
    def slots(self) -> list[dict[str, Any]]:
        """The label's spans, in order, inside the utterance, non-empty and not overlapping."""
        length = len(self.utterance)
        spans, end = [], 0
        for span in sorted(self.label.get("slots") or [], key=lambda span: span["start"]):
            if end <= span["start"] < span["end"] <= length:
                spans.append(span)
                end = span["end"]
        return spans


def _turns(line: str) -> Iterator[_Turn]:
    data = json.loads(line)
    label_of = (data.get("labels") or {}).get("turns") or {}
    for position, turn in enumerate(data["turns"]):
        turn_id = turn.get("id") or f"t{position + 1}"  # FORMAT.md's default ids
        yield _Turn(data["id"], turn_id, position, turn, label_of.get(turn_id) or {})


# --- jsonl ------------------------------------------------------------------------------------------


def iter_jsonl(lines: Iterable[str]) -> Iterator[str]:
    """The FORMAT.md lines, unchanged."""
    yield from lines


# --- conll and hf -----------------------------------------------------------------------------------


def _tokens_and_tags(turn: _Turn) -> tuple[list[str], list[str]]:
    """Whitespace tokens and their BIO tags (see the module docstring for spans inside tokens)."""
    matches = list(_TOKEN.finditer(turn.utterance))
    tags = ["O"] * len(matches)
    first = 0  # spans are in order: no token before this one is covered by a later span
    for span in turn.slots:
        kind = "_".join(str(span["type"]).split()) or "_"
        inside = False
        for index in range(first, len(matches)):
            match = matches[index]
            if match.start() >= span["end"]:
                break
            if match.end() <= span["start"]:
                first = index + 1
                continue
            if tags[index] == "O":
                tags[index] = ("I-" if inside else "B-") + kind
                inside = True
    return [match.group() for match in matches], tags


def _one_line(text: str) -> str:
    """Text with its line breaks made spaces, to sit on one line."""
    return " ".join(text.splitlines()) if text else ""


def iter_conll(lines: Iterable[str]) -> Iterator[str]:
    """CoNLL BIO, a sentence per labelled turn, a chunk per dialogue."""
    for line in lines:
        parts: list[str] = []
        for turn in _turns(line):
            if not turn.has_nlu_label:
                continue
            tokens, tags = _tokens_and_tags(turn)
            if not tokens:
                continue
            parts += [f"# id = {_one_line(turn.example_id)}\n", f"# text = {_one_line(turn.utterance)}\n"]
            if "intent" in turn.label:
                parts.append(f"# intent = {_one_line(turn.label['intent'] or NO_INTENT)}\n")
            parts += [f"{token}\t{tag}\n" for token, tag in zip(tokens, tags, strict=True)]
            parts.append("\n")
        if parts:
            yield "".join(parts)


def iter_hf(lines: Iterable[str]) -> Iterator[str]:
    """Hugging Face token-classification JSON Lines, an object per labelled turn, a chunk per dialogue."""
    for line in lines:
        parts: list[str] = []
        for turn in _turns(line):
            if not turn.has_nlu_label:
                continue
            tokens, tags = _tokens_and_tags(turn)
            if tokens:
                example = {
                    "id": turn.example_id,
                    "tokens": tokens,
                    "ner_tags": tags,
                    "intent": turn.label.get("intent"),
                }
                parts.append(_compact(example) + "\n")
        if parts:
            yield "".join(parts)


# --- rasa -------------------------------------------------------------------------------------------

# A plain YAML scalar that stays a string; anything else is quoted.
_PLAIN_YAML = re.compile(r"[A-Za-z_][\w.\-/]*", re.ASCII)
_YAML_NOT_STRINGS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}
_SIMPLE_ENTITY_TYPE = re.compile(r"[\w.\-/]+")
# Square brackets would open or close an annotation: Rasa has no escape for them.
_BRACKETS = str.maketrans("[]", "()")


def _yaml_scalar(text: str) -> str:
    if _PLAIN_YAML.fullmatch(text) and text.lower() not in _YAML_NOT_STRINGS:
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar (ASCII, all escaped)


def _block_safe(text: str) -> str:
    """Text for one line of a YAML block scalar: line breaks, control characters and what YAML forbids
    in a stream become spaces."""
    return "".join(
        " "
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in "\ufeff\ufffe\uffff"
        else char
        for char in text
    )


def _rasa_text(turn: _Turn) -> str:
    """The utterance with its slots annotated: ``[text](type)``, or ``[text]{"entity": ..., "value": ...}``
    where the type is more than a word or the span has a value of its own.

    Rasa has no escape for its annotation syntax, so square brackets in the text become round ones
    (the only characters that could open or close an annotation: a round bracket only matters right
    after ``]``). Types and values that could break ``(type)`` go in the JSON form, whose ``{`` and
    ``}`` are written as JSON escapes; the JSON is ASCII, so no line break survives in it."""
    utterance = turn.utterance
    parts, done = [], 0
    for span in turn.slots:
        start, end = span["start"], span["end"]
        text = utterance[start:end]
        kind = str(span["type"])
        value = span.get("value")
        parts += [utterance[done:start].translate(_BRACKETS), "[", text.translate(_BRACKETS), "]"]
        if _SIMPLE_ENTITY_TYPE.fullmatch(kind) and (value is None or value == text):
            parts.append(f"({kind})")
        else:
            entity = {"entity": kind} if value is None else {"entity": kind, "value": value}
            inner = json.dumps(entity)[1:-1].replace("{", "\\u007b").replace("}", "\\u007d")
            parts.append("{" + inner + "}")
        done = end
    parts.append(utterance[done:].translate(_BRACKETS))
    return _block_safe("".join(parts)).strip()


def iter_rasa(lines: Iterable[str]) -> Iterator[str]:
    """Rasa NLU YAML: the header at once, then a chunk per dialogue with an ``- intent:`` block per
    example (see the module docstring for why they are not grouped)."""
    yield f'version: "{RASA_VERSION}"\n'
    started = False
    for line in lines:
        parts: list[str] = []
        for turn in _turns(line):
            intent = turn.label.get("intent")
            text = _rasa_text(turn) if intent else ""
            if intent and text:
                parts.append(f"- intent: {_yaml_scalar(intent)}\n  examples: |\n    - {text}\n")
        if parts:
            if not started:
                parts.insert(0, "\nnlu:\n")
                started = True
            yield "".join(parts)
    if not started:
        yield "\nnlu: []\n"


# --- csv --------------------------------------------------------------------------------------------


# What makes Excel, LibreOffice and Google Sheets evaluate a cell as a formula (OWASP's list, with tab,
# CR and NUL from ASVS 1.2.10), and the full-width forms that Excel reads the same in East Asian locales.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _csv_rows(line: str) -> Iterator[list[Any]]:
    data = json.loads(line)
    goal_of: dict[str, tuple[int, Any]] = {}
    for index, goal in enumerate((data.get("labels") or {}).get("goals") or []):
        for turn_id in goal.get("turns") or []:
            goal_of[turn_id] = (index, goal.get("success"))
    for turn in _turns(line):
        label = turn.label
        intent = label.get("intent") or (NO_INTENT if "intent" in label else "")
        goal, goal_success = goal_of.get(turn.turn_id, (None, None))
        row = [
            turn.dialogue_id,
            turn.turn_id,
            turn.position,
            turn.utterance,
            turn.turn.get("response"),
            turn.turn.get("intent"),
            intent,
            _compact(label["slots"]) if label.get("slots") is not None else None,
            label.get("failure_point"),
            label.get("rephrase_of"),
            label.get("defect"),
            _compact(label["preferences"]) if label.get("preferences") is not None else None,
            label.get("rewrite"),
            goal,
            goal_success,
        ]
        yield [_csv_value(value) for value in row]


def iter_csv(lines: Iterable[str]) -> Iterator[str]:
    """CSV, a row per turn: the header at once, then a chunk per dialogue."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the excel dialect: RFC 4180 quoting and \r\n

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for line in lines:
        writer.writerows(_csv_rows(line))
        yield flush()


# --- registry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    name: str
    convert: Callable[[Iterable[str]], Iterator[str]]  # FORMAT.md lines in, text chunks out
    content_type: str  # the media type of a response; text, UTF-8
    extension: str  # a file name's ending, without the dot


EXPORT_FORMATS: dict[str, ExportFormat] = {
    each.name: each
    for each in (
        ExportFormat("jsonl", iter_jsonl, "application/x-ndjson", "jsonl"),
        ExportFormat("conll", iter_conll, "text/plain", "conll"),
        ExportFormat("rasa", iter_rasa, "application/x-yaml", "yml"),
        ExportFormat("csv", iter_csv, "text/csv", "csv"),
        ExportFormat("hf", iter_hf, "application/x-ndjson", "jsonl"),
    )
}


def export_format(name: str) -> ExportFormat:
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise ApplicationError(
            f"format must be one of {', '.join(EXPORT_FORMATS)}, got {name!r}", extra={"field": "format"}
        ) from None


def iter_export(
    dataset: Dataset,
    selection: LabelSelection,
    fmt: str,
    *,
    label_filter: LabelFilter | None = None,
    changed_since: datetime | None = None,
    batch_size: int = EXPORT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The dataset's export in format ``fmt``, as text chunks: the labels of ``selection`` that pass
    ``label_filter``, of the dialogues changed since ``changed_since`` (all when None). An unknown
    format fails here, at the call, not at the first chunk."""
    convert = export_format(fmt).convert
    return convert(
        iter_export_lines(
            dataset=dataset,
            selection=selection,
            label_filter=label_filter,
            changed_since=changed_since,
            batch_size=batch_size,
            progress=progress,
        )
    )
