"""Template helpers of the dataset pages: slot spans highlighted inside an utterance, a colour per
slot type, how a label was obtained, percentages."""

from __future__ import annotations

import zlib
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def slot_hue(name: object) -> int:
    """A hue in [0, 360) that depends only on the type name, so a type has the same colour on every
    page and every run (``hash()`` is salted per process; CRC32 is not)."""
    return zlib.crc32(str(name).encode("utf-8")) % 360


def _valid_spans(text: str, spans: Any) -> list[dict]:
    if not isinstance(spans, list):
        return []
    kept: list[dict] = []
    end_of_last = 0
    candidates = [span for span in spans if isinstance(span, dict)]
    for span in sorted(candidates, key=lambda span: (span.get("start") or 0, span.get("end") or 0)):
        start, end = span.get("start"), span.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
            continue
        if start < end_of_last or end <= start or end > len(text):
            continue  # overlapping or out of range: not drawn rather than drawn wrong
        kept.append(span)
        end_of_last = end
    return kept


@register.simple_tag
def highlight_spans(text: str | None, spans: Any) -> SafeString:
    """The text with each span wrapped in a <mark> coloured by its type, the type shown after it."""
    text = text or ""
    parts: list[str] = []
    cursor = 0
    for span in _valid_spans(text, spans):
        start, end = span["start"], span["end"]
        slot_type = str(span.get("type") or "slot")
        value = span.get("value")
        title = f"{slot_type} = {value}" if value not in (None, text[start:end]) else slot_type
        parts.append(conditional_escape(text[cursor:start]))
        parts.append(
            format_html(
                '<mark class="slot" style="--slot-hue: {}" title="{}">{}'
                '<span class="slot-type">{}</span></mark>',
                slot_hue(slot_type),
                title,
                text[start:end],
                slot_type,
            )
        )
        cursor = end
    parts.append(conditional_escape(text[cursor:]))
    return mark_safe("".join(str(part) for part in parts))


@register.filter
def label_source(label: Any) -> str:
    """Import, the model version's name, or the person's username."""
    if label.source_type == "model":
        return label.model_version.name if label.model_version_id else "model"
    if label.source_type == "person":
        return label.author.get_username() if label.author_id else "person"
    return "import"


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key)
    return getattr(mapping, str(key), None)


@register.filter
def humanize_key(key: str) -> str:
    return str(key).replace("_", " ").capitalize()
