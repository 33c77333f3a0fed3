"""The JSON parser of every API: bodies nested deeper than ``SELFLEARN_JSON_MAX_DEPTH`` are a 400
before they are parsed, never a RecursionError (a 500); a view with a ``max_body_bytes`` (a small
request on a served path, say) refuses a larger body with 413 before parsing it."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from selflearn_site.exceptions import body_too_large
from selflearn_site.json_limits import json_too_deep


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        body_limit = getattr((parser_context or {}).get("view"), "max_body_bytes", None)
        if body_limit is not None and len(raw) > body_limit:
            raise body_too_large(body_limit)
        limit = settings.SELFLEARN_JSON_MAX_DEPTH
        if json_too_deep(raw, limit):
            raise ParseError(f"JSON parse error - nested more than {limit} levels deep")
        try:
            return json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from error


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
