"""Content negotiation for views whose successful answer is not a DRF Response (a streamed export):
their errors are always JSON, whatever the client's Accept header asks for, and ``?format=`` is left
to the view (DRF would read it as a renderer's name)."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class ErrorsAsJsonNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
