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
