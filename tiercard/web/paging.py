"""Numbered pages for the web's short work lists (service queue, approvals).

The member table pages by cursor (it can hold a million rows); these lists are read a page at
a time with OFFSET, one row more than shown telling whether a next page exists. A page number
that is not a plain ASCII number of a few digits is page 1: "²" and "٣" are digits to
``str.isdigit`` but not to ``int``, and a 5,000-digit number would cost the database an OFFSET
it cannot take.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict

M = TypeVar("M", bound=Model)

MAX_PAGE_DIGITS = 4


def whole_number(raw: str, digits: int) -> int | None:
    """A positive whole number of at most ``digits`` ASCII digits, else None."""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= digits else None


def page_number(raw: str) -> int:
    return whole_number(raw, MAX_PAGE_DIGITS) or 1


def page_of(rows: QuerySet[M], page: int, size: int) -> tuple[list[M], bool]:
    """Page ``page`` (from 1) of ``rows``, sliced in SQL: the rows shown and whether more
    follow."""
    start = (page - 1) * size
    found = list(rows[start : start + size + 1])
    return found[:size], len(found) > size


def page_links(query: QueryDict, param: str, page: int, has_next: bool) -> dict[str, str]:
    """Query strings ("?…") of the first, previous and next pages of the list paged by
    ``param``, the other parameters kept ("" where there is no such page)."""

    def to(number: int) -> str:
        q = query.copy()
        q.pop(param, None)
        if number > 1:
            q[param] = str(number)
        return f"?{q.urlencode()}"

    return {
        "first": to(1) if page > 1 else "",
        "prev": to(page - 1) if page > 1 else "",
        "next": to(page + 1) if has_next else "",
    }
