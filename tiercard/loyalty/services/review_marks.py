"""Marks on the customers the next daily review must look at (``ReviewMark``).

A purchase grades its customer at once; other changes to a member's figures (the window
rolling past their purchases, a return, a tier override cleared) leave the tier to the
scheduled review. It reads the marks (``grading.candidate_ids``) and deletes those of the
rows it reviewed in the transaction that reviewed them.

Invariants: at most one mark per customer (marking twice is a no-op); a mark is written while
its writer holds the window row (shared: purchases, returns, overrides, undone merges, each
also holding the membership row; exclusively: the nightly roll), and each review chunk takes
the window row exclusively before reading its rows, so it never deletes a mark set after it
read them (SQLite: writers are serialised anyway).
"""

from __future__ import annotations

import json
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


def review_mark_returned(write_sql: str, params: Sequence[Any]) -> int:
    """Run ``write_sql`` and mark every customer id it returns; returns how many it returned.

    ``write_sql`` is one UPDATE (constant SQL only) ending in ``RETURNING <customer id>`` of
    membership rows, so every id holds a membership. The marks come from the rows the statement
    wrote, instead of a second pass over what it read. PostgreSQL: one statement (the UPDATE in
    a ``WITH``, the marks inserted from its rows). SQLite has no writes in ``WITH``: the ids
    come back and are inserted from one JSON array parameter (SQLite 3.38+ has JSON built in).
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"WITH moved (cid) AS ({write_sql}), marked AS ("  # noqa: S608 (constant)
                f"{INSERT} SELECT cid, %s FROM moved ON CONFLICT DO NOTHING)"
                " SELECT count(*) FROM moved",
                [*params, now],
            )
            return int(cur.fetchone()[0])
        cur.execute(write_sql, params)
        ids = [row[0] for row in cur.fetchall()]
        if ids:
            # ``WHERE true``: SQLite's parser needs it between INSERT ... SELECT and ON CONFLICT.
            cur.execute(
                f"{INSERT} SELECT value, %s FROM json_each(%s)"  # noqa: S608 (constant)
                " WHERE true ON CONFLICT DO NOTHING",
                [now, json.dumps(ids)],
            )
        return len(ids)


def review_marks_clear(ids: list[int]) -> int:
    """Delete the marks of ``ids`` (the rows just reviewed); returns how many there were."""
    deleted, _ = ReviewMark.objects.filter(ids_in(ReviewMark, ids)).delete()
    return deleted
