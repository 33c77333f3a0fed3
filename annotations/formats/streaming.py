"""The streamed export as an HTTP response: one code path for the API (``DatasetExportApi``) and the
dataset page's download, so both send the same bytes with the same headers, batch by batch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from annotations.formats.export_formats import export_format, iter_export
from annotations.models import Dataset

# Chunks are gathered up to this size before they go to the socket: a write per dialogue would cost
# a system call per line. The first chunk goes at once, so the first byte does not wait.
STREAM_BUFFER_BYTES = 64 * 1024


def _buffered(chunks: Iterable[str], size: int = STREAM_BUFFER_BYTES) -> Iterator[bytes]:
    pending: list[bytes] = []
    pending_bytes = 0
    first = True
    for chunk in chunks:
        data = chunk.encode()
        if first:
            first = False
            yield data
            continue
        pending.append(data)
        pending_bytes += len(data)
        if pending_bytes >= size:
            yield b"".join(pending)
            pending, pending_bytes = [], 0
    if pending:
        yield b"".join(pending)


def export_response(dataset: Dataset, params: dict[str, Any]) -> StreamingHttpResponse:
    """The export ``params`` ask for (``ExportParamsSerializer.validated_data``: format, labels,
    label_filter, changed_since), streamed as a download."""
    fmt = export_format(params["format"])
    chunks = iter_export(
        dataset,
        params["labels"],
        fmt.name,
        label_filter=params["label_filter"],
        changed_since=params["changed_since"],
    )
    response = StreamingHttpResponse(_buffered(chunks), content_type=f"{fmt.content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{dataset.name}.{fmt.extension}"
    )
    response["Cache-Control"] = "no-store"
    # Proxies that buffer (nginx) would hold the first byte back until the end.
    response["X-Accel-Buffering"] = "no"
    return response
