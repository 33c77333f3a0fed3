"""The JSON parser of every API: bodies nested deeper than ``SELFLEARN_JSON_MAX_DEPTH`` are a 400
before they are parsed, never a RecursionError (a 500)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from selflearn_site.json_limits import json_too_deep


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        limit = settings.SELFLEARN_JSON_MAX_DEPTH
        if json_too_deep(raw, limit):
            raise ParseError(f"JSON parse error - nested more than {limit} levels deep")
        try:
            return json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from error


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
