"""Load SNIPS, HWU64 and SLURP into one form: Utterance(text, intent, domain, slots as character spans).

One vocabulary: HWU64's and SLURP's `scenario_action` intents and their slot types, which the two
share. SNIPS's own names are mapped onto it as they load (`PlayMusic` is `play_music`, `GetWeather`
`weather_query`, its `city` slot `place_name`; SNIPS_INTENTS and SNIPS_SLOT_TYPES), so that a log
never spells one request two ways: filters, failure counts, resolution rules and the label model each
see one name. SNIPS intents HWU64 lacks get a name in its style (`music_addtoplaylist`). The loaders
read the corpora's original file layouts, so the bundled subset under `simulator/data/` and the full
copies under `../shared/data/` go through the same code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

# (start, end, type, value): end exclusive, text[start:end] == value for corpus data.
SpanTuple = tuple[int, int, str, str]

# SNIPS's intents in the one vocabulary: HWU64's name where HWU64 has the intent, else one in its
# `scenario_action` style whose scenario is the assistant's domain.
SNIPS_INTENTS = {
    "PlayMusic": "play_music",
    "AddToPlaylist": "music_addtoplaylist",
    "GetWeather": "weather_query",
    "BookRestaurant": "restaurant_book",
    "RateBook": "books_rate",
    "SearchCreativeWork": "media_query",
    "SearchScreeningEvent": "movies_query",
}
# SNIPS's slot types that HWU64 and SLURP name otherwise, for the same thing. The rest (`object_name`,
# `timeRange`, `party_size_number`...) have no counterpart there and keep SNIPS's name.
SNIPS_SLOT_TYPES = {
    "artist": "artist_name",
    "track": "song_name",
    "album": "music_album",
    "playlist": "playlist_name",
    "genre": "music_genre",
    "city": "place_name",
    "restaurant_name": "business_name",
    "served_dish": "food_type",
}

# HWU64's scenarios; SLURP shares them. A SLURP intent outside this set is an annotation slip
# ("cleaning", "greet", "hue_lightoff") and is dropped rather than guessed at.
SCENARIOS = (
    "alarm",
    "audio",
    "calendar",
    "cooking",
    "datetime",
    "email",
    "general",
    "iot",
    "lists",
    "music",
    "news",
    "play",
    "qa",
    "recommendation",
    "social",
    "takeaway",
    "transport",
    "weather",
)


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    intent: str
    domain: str
    slots: tuple[SpanTuple, ...]
    source: str  # "snips", "hwu64" or "slurp"


def domain_of(intent: str) -> str:
    """The domain an assistant would route to: the intent's scenario.

    `play_*` intents are split by what is played (music, audiobook, radio...), because that is where a
    real assistant's domains differ, and where "a video for an audiobook" kind of NLU errors happen.
    """
    scenario, _, action = intent.partition("_")
    if scenario == "play":
        return {"podcasts": "podcasts", "game": "games"}.get(action, action)
    return scenario


def _clean(text: str) -> str:
    return " ".join(text.split())


def load_snips(root: Path) -> list[Utterance]:
    """SNIPS train: whitespace tokens with BIO tags, turned into character spans; intents and slot
    types in the one vocabulary (SNIPS_INTENTS, SNIPS_SLOT_TYPES)."""
    folder = root / "snips" / "train"
    texts = (folder / "seq.in").read_text(encoding="utf-8").splitlines()
    tags = (folder / "seq.out").read_text(encoding="utf-8").splitlines()
    labels = (folder / "label").read_text(encoding="utf-8").splitlines()
    out: list[Utterance] = []
    for line, tag_line, intent in zip(texts, tags, labels, strict=True):
        tokens, bio = line.split(), tag_line.split()
        if len(tokens) != len(bio) or intent not in SNIPS_INTENTS:
            continue
        text = " ".join(tokens)
        spans: list[SpanTuple] = []
        pos = 0
        open_type, open_start, open_end = "", 0, 0
        for token, tag in zip(tokens, bio, strict=True):
            start, end = pos, pos + len(token)
            pos = end + 1
            if tag.startswith("I-") and open_type == tag[2:]:
                open_end = end
                continue
            if open_type:
                spans.append((open_start, open_end, open_type, text[open_start:open_end]))
                open_type = ""
            if tag != "O":  # B-x, or an I-x with no B-x before it, starts a span
                open_type, open_start, open_end = tag[2:], start, end
        if open_type:
            spans.append((open_start, open_end, open_type, text[open_start:open_end]))
        named = tuple(
            (start, end, SNIPS_SLOT_TYPES.get(kind, kind), value) for start, end, kind, value in spans
        )
        ours = SNIPS_INTENTS[intent]
        out.append(Utterance(text, ours, domain_of(ours), named, "snips"))
    return out


def load_hwu64(root: Path) -> list[Utterance]:
    """HWU64 fold-1 train, Rasa JSON with character spans already."""
    path = root / "hwu64" / "kfold1_train_rasa.json"
    examples = json.loads(path.read_text(encoding="utf-8"))["rasa_nlu_data"]["common_examples"]
    out: list[Utterance] = []
    for ex in examples:
        raw, intent = ex["text"], ex["intent"]
        if intent.partition("_")[0] not in SCENARIOS:
            continue
        # Rebuild the text around the spans so whitespace clean-up cannot shift an offset.
        ents = sorted(ex.get("entities", []), key=lambda e: e["start"])
        pieces: list[tuple[str, str | None]] = []
        pos, ok = 0, True
        for e in ents:
            if e["start"] < pos or raw[e["start"] : e["end"]].strip() == "":
                ok = False
                break
            pieces.append((raw[pos : e["start"]], None))
            pieces.append((raw[e["start"] : e["end"]], e["entity"]))
            pos = e["end"]
        if not ok:
            continue
        pieces.append((raw[pos:], None))
        utt = _from_pieces(pieces, intent, "hwu64")
        if utt is not None:
            out.append(utt)
    return out


_ANNOTATION = re.compile(r"\[([a-z_]+) : ([^\]]*)\]")


def load_slurp(root: Path) -> list[Utterance]:
    """SLURP devel: entities read from the inline `sentence_annotation` ("[type : value]")."""
    path = root / "slurp" / "devel.jsonl"
    out: list[Utterance] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        intent = rec["intent"]
        scenario, _, action = intent.partition("_")
        if scenario not in SCENARIOS or not action:
            continue
        annotated = rec["sentence_annotation"].lower()
        pieces: list[tuple[str, str | None]] = []
        pos = 0
        for m in _ANNOTATION.finditer(annotated):
            pieces.append((annotated[pos : m.start()], None))
            pieces.append((m.group(2), m.group(1)))
            pos = m.end()
        pieces.append((annotated[pos:], None))
        utt = _from_pieces(pieces, intent, "slurp")
        if utt is not None:
            out.append(utt)
    return out


def _from_pieces(pieces: list[tuple[str, str | None]], intent: str, source: str) -> Utterance | None:
    """Join (text, slot type or None) pieces with single spaces, recording each slot's offsets."""
    words: list[str] = []
    spans: list[SpanTuple] = []
    length = 0
    for piece, slot_type in pieces:
        piece = _clean(piece)
        if not piece:
            if slot_type is not None:
                return None
            continue
        if words:
            length += 1
        if slot_type is not None:
            spans.append((length, length + len(piece), slot_type, piece))
        words.append(piece)
        length += len(piece)
    text = " ".join(words)
    if not text:
        return None
    return Utterance(text, intent, domain_of(intent), tuple(spans), source)


LOADERS = {"snips": load_snips, "hwu64": load_hwu64, "slurp": load_slurp}


def load_all(root: Path) -> dict[str, list[Utterance]]:
    """Every corpus found under `root`, by name; a missing corpus is an error, not a silent gap."""
    out: dict[str, list[Utterance]] = {}
    for name, loader in LOADERS.items():
        try:
            out[name] = loader(root)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"corpus {name!r} not found under {root}: {exc.filename}") from exc
    return out
