"""Marks on the customers the next daily review must look at (``ReviewMark``).

A purchase grades its customer at once; other changes to a member's figures (the window
rolling past their purchases, a return, a tier override cleared) leave the tier to the
scheduled review. It reads the marks (``grading.candidate_ids``) and deletes those of the
rows it reviewed in the transaction that reviewed them.

Invariants: at most one mark per customer (marking twice is a no-op); a mark is written under
the lock of the membership row it concerns (the nightly roll: under the window row's exclusive
lock), and each review chunk takes the window row's shared lock, then its rows' locks, before
reading their figures, so it never deletes a mark set after it read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from tiercard.core import batch
from tiercard.loyalty.models import ReviewMark
from tiercard.loyalty.services.tier_sql import ids_in

INSERT = "INSERT INTO loyalty_reviewmark (customer_id, marked_at)"


def review_mark(customer_id: int) -> None:
    """Have the next daily review look at ``customer_id`` (sent in an open ``core.batch``)."""
    batch.send(
        f"{INSERT} VALUES (%s, %s) ON CONFLICT DO NOTHING",
        [customer_id, connection.ops.adapt_datetimefield_value(timezone.now())],
    )


def review_mark_select(select_sql: str, params: Sequence[Any]) -> int:
    """Mark every customer id ``select_sql`` returns that holds a membership row; returns how
    many marks are new. ``select_sql`` is one column of customer ids (constant SQL only)."""
    sql = (
        f"{INSERT} SELECT m.customer_id, %s FROM loyalty_membership m"  # noqa: S608 (constant)
        f" WHERE m.customer_id IN ({select_sql}) ON CONFLICT DO NOTHING"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cur:
        cur.execute(sql, [now, *params])
        return int(cur.rowcount)


def review_marks_clear(ids: list[int]) -> int:
    """Delete the marks of ``ids`` (the rows just reviewed); returns how many there were."""
    deleted, _ = ReviewMark.objects.filter(ids_in(ReviewMark, ids)).delete()
    return deleted
