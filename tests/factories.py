"""Dialogues and dialogue files for tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any


def dialogue(dialogue_id: str = "d1", **fields: Any) -> dict[str, Any]:
    """A small valid dialogue with a label of every kind; keyword arguments replace fields."""
    data: dict[str, Any] = {
        "id": dialogue_id,
        "user_id": "u42",
        "device": {"type": "speaker", "has_screen": False, "state": {"volume": 5}},
        "locale": "en-US",
        "started_at": "2026-11-02T08:15:00Z",
        "metadata": {"source": "test", "nested": {"list": [1, 2.5, None, "é"]}},
        "turns": [
            {
                "id": "t1",
                "timestamp": "2026-11-02T08:15:00Z",
                "utterance": "play purple haze",
                "response": "Playing Purple Rain by Prince.",
                "asr_confidence": 0.91,
                "nlu_confidence": 0.8,
                "domain": "music",
                "intent": "PlayMusic",
                "slots": [{"start": 5, "end": 16, "type": "song", "value": "purple rain"}],
                "status": "SUCCESS",
                "barge_in": True,
            },
            {
                "id": "t2",
                "timestamp": "2026-11-02T08:15:06Z",
                "utterance": "play purple haze by jimi hendrix",
                "response": "Playing Purple Haze by Jimi Hendrix.",
                "asr_confidence": 0.95,
                "intent": "PlayMusic",
                "feedback": "positive",
            },
        ],
        "labels": {
            "goals": [{"turns": ["t1", "t2"], "success": True}],
            "turns": {
                "t1": {
                    "intent": "PlayMusic",
                    "slots": [{"start": 5, "end": 16, "type": "song"}],
                    "failure_point": "entity",
                    "rephrase_of": None,
                    "defect": True,
                    "rewrite": "play purple haze by jimi hendrix",
                },
                "t2": {
                    "intent": "PlayMusic",
                    "failure_point": "none",
                    "rephrase_of": "t1",
                    "defect": False,
                    "preferences": [
                        {"domain": "music", "key": "artist", "value": "Jimi Hendrix", "start": 20, "end": 32}
                    ],
                },
            },
        },
    }
    data.update(fields)
    return data


def write_lines(path: Path, lines: list[Any], *, compress: bool = False) -> Path:
    """Write each item as a line: dicts as JSON, str and bytes as they are."""
    chunks = []
    for line in lines:
        if isinstance(line, bytes):
            chunks.append(line if line.endswith(b"\n") else line + b"\n")
        elif isinstance(line, str):
            chunks.append((line + "\n").encode())
        else:
            chunks.append((json.dumps(line, ensure_ascii=False) + "\n").encode())
    payload = b"".join(chunks)
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path
