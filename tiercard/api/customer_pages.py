"""One page of the records kept under a customer (purchases, interactions, notes).

Invariants: the customer's visibility is checked first, with one EXISTS query, so a customer
outside the caller's scope answers 404 whatever the cursor says, and nothing of theirs is read;
the records come from the app's own selector (``viewer=``, ``customer_id=``), itself scoped, and
are paged by key (``api.paging``), never counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from tiercard.accounts.models import User
from tiercard.api.paging import NEWEST_FIRST, Keyset, paginate
from tiercard.customers.selectors import customer_ensure_visible

M = TypeVar("M", bound=Model)


def customer_records_page(
    *,
    viewer: User,
    customer_id: int,
    select: Callable[..., QuerySet[M]],
    name: str,
    out: Callable[[M], dict[str, Any]],
    limit: int | None,
    cursor: str | None,
    spec: Keyset = NEWEST_FIRST,
) -> dict[str, Any]:
    """``{"items": [...], "next": cursor}`` of ``select``'s rows, each through ``out``."""
    customer_ensure_visible(viewer=viewer, customer_id=customer_id)
    page = paginate(
        select(viewer=viewer, customer_id=customer_id),
        name=name,
        spec=spec,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [out(row) for row in page.items], "next": page.next}
