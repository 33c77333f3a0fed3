"""Template helpers of the dataset pages: slot spans highlighted inside an utterance, a colour per
slot type, how a label was obtained, percentages."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


# Slot colours: one of HUES hues, each a class in static/css/selflearn.css (`.slot-hue-N`), since the
# Content-Security-Policy refuses style attributes. 24 hues 15 degrees apart: closer ones look alike.
HUES = 24


@register.filter
def slot_hue(name: object) -> int:
    """The colour of a slot type, in [0, HUES): it depends only on the type name, so a type has the
    same colour on every page and every run (``hash()`` is salted per process; CRC32 is not). The
    review page's script computes the same (static/js/review/slots.js)."""
    return zlib.crc32(str(name).encode("utf-8")) % HUES


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
                '<mark class="slot slot-hue-{}" title="{}">{}<span class="slot-type">{}</span></mark>',
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
def index(sequence: Any, number: int) -> Any:
    """The item at ``number`` of a list (the dashboards' tables walk parallel lists), or None."""
    try:
        return sequence[number]
    except (IndexError, KeyError, TypeError):
        return None


@register.filter
def humanize_key(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


@register.filter
def when(value: Any) -> SafeString | str:
    """A time as people read it ("3 minutes ago", "yesterday 14:05", "24 Nov 2026, 10:00") inside a
    ``<time>`` whose title is the exact time, seconds and zone included. Takes a datetime or the ISO
    8601 text a log carries (kept as written); text that is not a time is shown as it is."""
    if value in (None, ""):
        return "—"
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is None:
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    local = timezone.localtime(moment)
    exact = local.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    age = (timezone.now() - moment).total_seconds()
    if -60 < age < 60:
        text = "just now"
    elif 0 < age < 3600:
        text = f"{int(age // 60)} min ago"
    elif 0 < age < 2 * 86400 and (timezone.localtime().date() - local.date()).days in (0, 1):
        day = "today" if local.date() == timezone.localtime().date() else "yesterday"
        text = f"{day} {local:%H:%M}"
    else:
        text = f"{local.day} {local:%b %Y, %H:%M}"
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, text)


@register.filter
def mark_match(text: str | None, query: str) -> SafeString | str:
    """The text with each occurrence of ``query`` (any case) in a ``<mark>``, the rest escaped."""
    if not text:
        return ""
    if not query:
        return text
    lower, needle = text.lower(), query.lower()
    parts: list[str] = []
    cursor = 0
    while (found := lower.find(needle, cursor)) != -1:
        parts.append(str(conditional_escape(text[cursor:found])))
        parts.append(format_html('<mark class="match">{}</mark>', text[found : found + len(needle)]))
        cursor = found + len(needle)
    parts.append(str(conditional_escape(text[cursor:])))
    # Every part is escaped above.
    return mark_safe("".join(parts))
