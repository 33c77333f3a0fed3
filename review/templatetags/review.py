"""Template helpers of the review pages."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def as_json(value: Any) -> str:
    """A label value as JSON text (``null``, ``true``, ``[{"start": 0, ...}]``), as the API writes it."""
    return json.dumps(value, ensure_ascii=False)


@register.simple_tag
def value_text(kind: str, value: Any, utterance: str | None = None) -> str:
    """A label value in words, as a reviewer reads it: slots as ``artist “jimi hendrix”`` (the words
    of the turn, not character offsets), booleans as yes/no, nothing as a dash."""
    if value is None:
        return "—"
    if kind == "slots" and isinstance(value, list):
        if not value:
            return "no slots"
        parts = []
        for span in value:
            if not isinstance(span, dict):
                continue
            start, end = span.get("start"), span.get("end")
            words = (
                utterance[start:end]
                if utterance and isinstance(start, int) and isinstance(end, int)
                else None
            )
            parts.append(f"{span.get('type')} “{words}”" if words else f"{span.get('type')} [{start}:{end}]")
        return ", ".join(parts)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return as_json(value)
