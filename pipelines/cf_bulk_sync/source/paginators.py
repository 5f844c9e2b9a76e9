"""Cursor paging over Cloudflare's `result_info.next`, with guards against runaway listings."""

from typing import Any

from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from .errors import RunawayPaginationError

NEXT_CURSOR = compile_path("result_info.next")  # once, not per listing


class CloudflareCursorPaginator(JSONResponseCursorPaginator):
    """Follows `result_info.next` as the `cursor` query parameter until it is null, absent or empty.

    Stops with `RunawayPaginationError` when a cursor comes back a second time (the listing would
    loop) or when more than `max_pages` pages arrive (more than the listing can have).
    """

    def __init__(self, what: str, max_pages: int | None = None) -> None:
        super().__init__(cursor_path=NEXT_CURSOR, cursor_param="cursor")
        self.what = what
        self.max_pages = max_pages
        self.pages = 0
        self._seen_cursors: set[str] = set()

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        self.pages += 1
        cursor = self._next_reference
        if cursor is None:
            return
        if cursor in self._seen_cursors:
            raise RunawayPaginationError(
                f"{self.what}: the API returned a cursor it had already returned, after"
                f" {self.pages} pages; stopped to avoid an endless listing"
            )
        self._seen_cursors.add(cursor)
        if self.max_pages is not None and self.pages >= self.max_pages:
            raise RunawayPaginationError(
                f"{self.what}: the API offered a page past the {self.max_pages} pages this"
                " listing can have; stopped to avoid an endless listing"
            )
