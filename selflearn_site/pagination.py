"""Pagination for the API, answering a bad page or cursor with a 400 that names it (DRF's own answer
is a 404, or a 500 for a cursor whose position is not a number)."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages by number, for short lists (datasets, jobs, models)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({self.page_query_param: [str(error.detail)]}) from error


class IdCursorPagination(pagination.CursorPagination):
    """Pages by a cursor on ``id``, for lists of any length (dialogues, labels): each page is an index
    range scan, however deep, and rows added meanwhile are neither skipped nor repeated."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({self.cursor_query_param: [str(error.detail)]}) from error
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        return cursor
