"""Marks on the customers the next daily review must look at (``ReviewMark``).

A purchase grades its customer at once, and the nightly roll starts the grace of the rows it
left below their tier (``window.window_roll``); other changes to a member's figures or tier
rules (a return, a tier override cleared, a merge undone) leave the tier to the scheduled
review. It reads the marks (``grading.candidate_ids``) and deletes those of the rows it
reviewed in the transaction that reviewed them.

Invariants: at most one mark per customer (marking twice is a no-op); a mark is written while
its writer holds the window row shared (purchases, returns, overrides, undone merges, each
also holding the membership row), and each review chunk takes the window row exclusively
before reading its rows, so it never deletes a mark set after it read them (SQLite: writers
are serialised anyway).
"""

from __future__ import annotations

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


def review_marks_clear(ids: list[int]) -> int:
    """Delete the marks of ``ids`` (the rows just reviewed); returns how many there were."""
    deleted, _ = ReviewMark.objects.filter(ids_in(ReviewMark, ids)).delete()
    return deleted
