"""Keyset (cursor) paging: one indexed range scan per page, no COUNT(*), stable under inserts.

A cursor is an opaque token carrying the sort name and the sort key of the last row served.
The next page is "rows after that key" in the queryset's own order, so a page costs the same
at row 20 as at row 900,000. Offsets are still accepted for small jumps, within a cap.

The selectors order NULLs last on every database (``customers.selectors.sort_expressions``),
so a NULL key sorts after every value in descending order.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Query

from tiercard.core.errors import ValidationFailed

M = TypeVar("M", bound=Model)

MAX_OFFSET = 10_000
DEFAULT_LIMIT = 20
MAX_DB_INT = 2**63 - 1  # what a 64-bit integer column holds; larger values overflow drivers
MAX_DECIMAL = Decimal(10) ** 12  # the widest money column: 14 digits, 2 of them decimals

# The two query parameters of every paged list endpoint, declared once so they read and
# document the same everywhere (a cursor this module wrote is far shorter than 400).
PageLimit = Annotated[int | None, Query(ge=1, description="Capped at the server maximum.")]
PageCursor = Annotated[str | None, Query(max_length=400)]


class Keyset(Protocol):
    """How a list pages by key: the key a cursor carries for a row, that key read back from a
    cursor (``ValueError`` when it is not one of this list's), and the rows after it."""

    def key_of(self, obj: Any) -> Any: ...

    def decode(self, raw: Any) -> Any: ...

    def after(self, value: Any, pk: int) -> Q: ...


@dataclass(frozen=True)
class KeySpec:
    """Ordering of one list: a leading column (``field``), then ``id`` in the same direction."""

    field: str
    descending: bool
    kind: str  # "bool" | "date" | "datetime" | "decimal" | "int" | "str"
    nullable: bool = False

    def key_of(self, obj: Any) -> Any:
        return self.encode(getattr(obj, self.field))

    def encode(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind in {"date", "datetime"}:
            return value.isoformat()
        if self.kind == "decimal":
            return str(value)
        return value

    def decode(self, raw: Any) -> Any:
        if raw is None:
            if not self.nullable:
                raise ValueError("null key")
            return None
        if self.kind == "date":
            return dt.date.fromisoformat(str(raw))
        if self.kind == "datetime":
            value = dt.datetime.fromisoformat(str(raw))
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            if not 1900 <= value.year <= 9998:  # in UTC too, within a day
                raise ValueError("datetime out of range")  # the database cannot compare it
            return value
        if self.kind == "decimal":
            amount = Decimal(str(raw))
            if not amount.is_finite() or abs(amount) >= MAX_DECIMAL:
                raise ValueError("decimal out of range")
            return amount
        if self.kind == "int":
            if not isinstance(raw, int) or isinstance(raw, bool) or abs(raw) > MAX_DB_INT:
                raise ValueError("not an int")
            return raw
        if self.kind == "bool":
            if not isinstance(raw, bool):
                raise ValueError("not a bool")
            return raw
        if not isinstance(raw, str):
            raise ValueError("not a str")
        return raw

    def after(self, value: Any, pk: int) -> Q:
        """Rows strictly after (value, pk) in this ordering."""
        f = self.field
        if not self.descending:
            # Ascending keys in use are never NULL (names); keep it simple.
            return Q(**{f"{f}__gt": value}) | Q(**{f: value, "id__gt": pk})
        if value is None:
            return Q(**{f"{f}__isnull": True, "id__lt": pk})
        cond = Q(**{f"{f}__lt": value}) | Q(**{f: value, "id__lt": pk})
        if self.nullable:
            cond |= Q(**{f"{f}__isnull": True})
        return cond


_NO_ROWS = Q(pk__in=[])


@dataclass(frozen=True)
class KeyChain:
    """Ordering over several columns (``parts``, each in its own direction), then ``id``,
    ascending unless ``id_descending``: the order of a queue such as "priority first, then
    the earliest due, then the oldest". A nullable part puts its NULLs after its values,
    unless named in ``nulls_first``; the selector must order the same way
    (``F(...).asc(nulls_last=True)`` / ``.desc(nulls_first=True)``). The cursor carries one
    value per part."""

    parts: tuple[KeySpec, ...]
    id_descending: bool = False
    nulls_first: frozenset[str] = frozenset()

    def key_of(self, obj: Any) -> list[Any]:
        return [part.key_of(obj) for part in self.parts]

    def decode(self, raw: Any) -> list[Any]:
        if not isinstance(raw, list) or len(raw) != len(self.parts):
            raise ValueError("not a key of this list")
        return [part.decode(value) for part, value in zip(self.parts, raw, strict=True)]

    def after(self, value: Any, pk: int) -> Q:
        """Rows strictly after (value..., pk): beyond on the first part, or equal on it and
        after on the rest."""
        cond = Q(id__lt=pk) if self.id_descending else Q(id__gt=pk)
        for part, v in reversed(list(zip(self.parts, value, strict=True))):
            cond = self._beyond(part, v) | (self._same(part, v) & cond)
        return cond

    def _beyond(self, part: KeySpec, value: Any) -> Q:
        nulls_first = part.field in self.nulls_first
        if value is None:  # after the NULLs come the values, or nothing
            return Q(**{f"{part.field}__isnull": False}) if nulls_first else _NO_ROWS
        op = "lt" if part.descending else "gt"
        cond = Q(**{f"{part.field}__{op}": value})
        if part.nullable and not nulls_first:
            cond |= Q(**{f"{part.field}__isnull": True})
        return cond

    @staticmethod
    def _same(part: KeySpec, value: Any) -> Q:
        if value is None:
            return Q(**{f"{part.field}__isnull": True})
        return Q(**{part.field: value})


# Records under a customer (purchases, interactions), newest first.
NEWEST_FIRST = KeySpec("occurred_at", descending=True, kind="datetime")


def encode_cursor(name: str, spec: Keyset, obj: Model) -> str:
    payload = {"s": name, "k": spec.key_of(obj), "id": obj.pk}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(fields={"cursor": [_("This cursor is invalid or expired.")]})


def decode_cursor(token: str, name: str, spec: Keyset) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("s") != name:
            raise ValueError("cursor of another list")
        pk = payload["id"]
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_DB_INT:
            raise ValueError("bad id")
        return spec.decode(payload.get("k")), pk
    except (ValueError, KeyError, TypeError, InvalidOperation, binascii.Error) as exc:
        raise _bad_cursor() from exc


def page_size(limit: int | None) -> int:
    """The requested page size, capped at ``TIERCARD_API_MAX_PAGE_SIZE``."""
    cap = int(settings.TIERCARD_API_MAX_PAGE_SIZE)
    if limit is None:
        return min(DEFAULT_LIMIT, cap)
    return max(1, min(limit, cap))


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next: str | None
    count: int | None


def paginate(
    qs: QuerySet[M],
    *,
    name: str,
    spec: Keyset,
    limit: int | None,
    cursor: str | None = None,
    offset: int = 0,
    with_count: bool = False,
) -> Page[M]:
    """One page of ``qs`` (already ordered by ``spec``) plus the next cursor.

    Fetches ``limit + 1`` rows to learn whether there is a next page; counts only on request.
    """
    size = page_size(limit)
    if offset < 0 or offset > MAX_OFFSET:
        raise ValidationFailed(
            fields={"offset": [_("Use the cursor to page beyond %(n)d rows.") % {"n": MAX_OFFSET}]}
        )
    count = qs.count() if with_count else None
    window = qs
    if cursor:
        value, pk = decode_cursor(cursor, name, spec)
        window = qs.filter(spec.after(value, pk))
        offset = 0
    rows = list(window[offset : offset + size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(name, spec, rows[-1]) if has_more and rows else None
    return Page(rows, next_cursor, count)
