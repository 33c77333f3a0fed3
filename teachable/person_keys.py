"""A person's id (FORMAT.md's ``user_id``, any string) as one segment of a URL.

Django decodes ``%2F`` to "/" before it routes, so an id with a slash could not reach its page,
export or forget however it was quoted; and a browser resolves an id of "." or ".." as a step up
the path. So in a URL such an id is written with ``~`` escapes: "~" is ``~7E``, "/" is ``~2F``, and
an id that is only dots has them as ``~2E``. Every other id is written as it is (Django
percent-encodes what a URL needs), so ``/people/u123/`` stays what it was. The mapping is one to one:
a segment with any other ``~`` sequence names nobody (404).
"""

from __future__ import annotations

import re

_ESCAPES = {"~": "~7E", "/": "~2F"}
_UNESCAPES = {"7E": "~", "2F": "/", "2E": "."}
_ESCAPE = re.compile(r"~(..)?", re.DOTALL)


def person_key(user_id: str) -> str:
    """The URL segment of a person's id."""
    key = "".join(_ESCAPES.get(char, char) for char in user_id)
    if key and key.strip(".") == "":
        key = "~2E" * len(key)
    return key


def person_id(key: str) -> str:
    """The id a URL segment names; ValueError for a segment no id is written as."""

    def unescape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code not in _UNESCAPES:
            raise ValueError(f"{key!r} is not a person key")
        return _UNESCAPES[code]

    user_id = _ESCAPE.sub(unescape, key)
    if person_key(user_id) != key:
        raise ValueError(f"{key!r} is not a person key")  # e.g. "~2E" inside a longer id
    return user_id


class PersonKeyConverter:
    """``<person:user_id>``: the view gets the id, ``reverse`` and ``{% url %}`` write its key."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return person_id(value)

    def to_url(self, value: str) -> str:
        return person_key(value)
