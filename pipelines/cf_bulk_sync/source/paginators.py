"""Cursor paging over Cloudflare's `result_info.next`, with guards against runaway listings."""

from collections.abc import Callable
from typing import Any

from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from .errors import RunawayPaginationError

NEXT_CURSOR = compile_path("result_info.next")  # once, not per listing
# empty pages in a row that still offer a next one, before a listing is stopped
MAX_EMPTY_PAGES = 100


def _items(data: list[Any] | None) -> int:
    """The items of a page: its dicts, or the rows of the one Arrow table it holds."""
    if data and len(data) == 1 and hasattr(data[0], "num_rows"):  # a page read as Arrow
        return int(data[0].num_rows)
    return len(data or [])


class CloudflareCursorPaginator(JSONResponseCursorPaginator):
    """Follows `result_info.next` as the `cursor` query parameter until it is null, absent or empty.

    Stops with `RunawayPaginationError` when a cursor comes back a second time (the listing would
    loop) or when more than `max_pages` pages with items arrive (more than the listing can
    have). An empty page that still offers a next cursor (a server skipping over removed items)
    does not count toward `max_pages`; `MAX_EMPTY_PAGES` of them in a row stop the listing.
    `max_pages` may be a function of the page size: it is then given the size the server
    actually serves (the items of a page that has a next one, else `result_info.per_page`),
    since a server may cap the size asked for.
    """

    def __init__(self, what: str, max_pages: int | Callable[[int], int] | None = None) -> None:
        super().__init__(cursor_path=NEXT_CURSOR, cursor_param="cursor")
        self.what = what
        self.max_pages = max_pages
        self.pages = 0
        self.empty_pages = 0  # in a row
        self.page_size: int | None = None
        self._seen_cursors: set[str] = set()

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        empty = _items(data) == 0
        self.pages += 0 if empty else 1
        cursor = self._next_reference
        if cursor is None:
            return
        if cursor in self._seen_cursors:
            raise RunawayPaginationError(
                f"{self.what}: the API returned a cursor it had already returned, after"
                f" {self.pages} pages; stopped to avoid an endless listing"
            )
        self._seen_cursors.add(cursor)
        if empty:
            self.empty_pages += 1
            if self.empty_pages >= MAX_EMPTY_PAGES:
                raise RunawayPaginationError(
                    f"{self.what}: the API sent {self.empty_pages} empty pages in a row, each"
                    " offering another; stopped to avoid an endless listing"
                )
            return
        self.empty_pages = 0
        self._note_page_size(response, data)
        limit = self.limit()
        if limit is not None and self.pages >= limit:
            raise RunawayPaginationError(
                f"{self.what}: the API offered a page past the {limit} pages this"
                " listing can have; stopped to avoid an endless listing"
            )

    def limit(self) -> int | None:
        if self.max_pages is None or isinstance(self.max_pages, int):
            return self.max_pages
        return self.max_pages(self.page_size or 1)

    def _note_page_size(self, response: Response, data: list[Any] | None) -> None:
        """The smallest page size served so far, from a page that has a next one: its items
        (what the server really serves), else its `result_info.per_page`."""
        size = _items(data)
        if size <= 0:
            info = response.json().get("result_info")
            reported = info.get("per_page") if isinstance(info, dict) else None
            size = reported if isinstance(reported, int) and reported > 0 else 0
        if size > 0:
            self.page_size = size if self.page_size is None else min(self.page_size, size)
