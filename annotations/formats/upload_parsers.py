"""Parsers for an import sent as the raw request body (``curl --data-binary @logs.jsonl``) rather than
as a multipart form: the body streams to a temporary file through Django's upload handlers, like a
multipart upload, so a large file is never held in memory."""

from __future__ import annotations

from pathlib import PurePosixPath

from rest_framework.parsers import FileUploadParser


class _RawDialogueFileParser(FileUploadParser):
    """A body of one media type. The file name comes from ``Content-Disposition`` when the client
    sends one (its last path part, printable characters only), else a default that names the type."""

    default_filename = "upload.jsonl"

    def get_filename(self, stream, media_type, parser_context) -> str:
        given = super().get_filename(stream, media_type, parser_context) or ""
        name = PurePosixPath(str(given).replace("\\", "/")).name
        name = "".join(char for char in name if char.isprintable())
        return name if name not in ("", ".", "..") else self.default_filename


class NdjsonFileParser(_RawDialogueFileParser):
    media_type = "application/x-ndjson"
    default_filename = "upload.jsonl"


class GzipFileParser(_RawDialogueFileParser):
    media_type = "application/gzip"
    default_filename = "upload.jsonl.gz"
