"""How deeply JSON that strangers send may nest, measured before it is parsed.

Python's parser recurses once per level: a body nested 100,000 levels raises RecursionError, and one
nested a few hundred levels parses but then breaks every page, serializer and template that walks it.
So depth is measured first, on the raw bytes, in C-speed scans: a text with no more brackets than the
limit cannot be too deep (the common case costs two counts); otherwise strings are blanked out (their
brackets do not nest) and the brackets left are walked.
"""

from __future__ import annotations

import re

# A JSON string, with its escapes; possessive, so a long or unterminated string never backtracks.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_too_deep(text: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than ``limit`` levels deep."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub(b'""', text)):
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False
