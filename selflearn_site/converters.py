"""URL converters: ids from imported logs, which may hold any character, as one path segment."""

from __future__ import annotations

from urllib.parse import quote, unquote

from django.urls import register_converter


class ImportedIdConverter:
    """Any text as one path segment: ``sim-7-000002`` stays as it is; a "/" (or "%") is escaped, so an
    id like ``calls/2024/17`` reverses to a link instead of failing the page that lists it, and its
    link reaches it. Django quotes what ``to_url`` returns once more and the server unquotes the path
    once, so ``to_python`` receives exactly what ``to_url`` gave."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: str) -> str:
        return quote(str(value), safe="")


register_converter(ImportedIdConverter, "imported_id")
