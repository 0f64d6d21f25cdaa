"""The nightly points expiry job (积分过期), set-based, and the expiring-points notices.

A lot is due when it has points left and its last valid day is before ``today``. Customers
with due lots are taken in chunks of ``batch`` (by customer id); each chunk is one
transaction of a fixed number of statements, whatever its size:

1. lock the chunk's membership rows, in primary-key order (``FOR UPDATE`` on PostgreSQL;
   SQLite's IMMEDIATE transaction already holds the write lock), so a concurrent redemption
   either commits before the job reads the lots or waits until the job has committed;
2. ``INSERT ... SELECT`` one ``expire`` entry per customer: −Σ due, ``balance_after`` =
   balance − Σ due, key ``expire:<customer>:<today>``;
3. ``INSERT ... SELECT`` one allocation per due lot, linked to its customer's new entry;
4. lower each balance by its due sum, and zero the due lots.

Re-running finds no due lots and writes nothing. Afterwards Σ entries = balance still holds
for every customer. Notices (``points_expiring``) are queued in the outbox for points expiring
within ``notice_days``: one per customer and expiry date, keyed so a re-run never repeats one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone

from tiercard.loyalty.models import (
    EntryKind,
    Membership,
    PointsAllocation,
    PointsEntry,
    PointsLot,
)
from tiercard.loyalty.services.announce import customer_key, messages_insert
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_share_lock
from tiercard.outbox.models import MessageKind


@dataclass(frozen=True)
class ExpireReport:
    customers: int  # customers whose points expired
    points: int  # points expired in total
    notices: int  # expiring-points messages newly queued


def _due(today: dt.date, low: int, high: int) -> Q:
    return Q(remaining__gt=0, expires_on__lt=today, customer_id__gte=low, customer_id__lte=high)


def points_expire(*, today: dt.date, batch: int = 5000, notice_days: int = 30) -> ExpireReport:
    """Expire every lot whose last day is before ``today``; queue notices. Safe to re-run."""
    version = active_programme().version
    customers = points = 0
    after = 0
    while True:
        chunk = list(
            PointsLot.objects.filter(remaining__gt=0, expires_on__lt=today, customer_id__gt=after)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:batch]
        )
        if not chunk:
            break
        with transaction.atomic():
            n, p = _expire_chunk(today, chunk[0], chunk[-1], version)
        customers += n
        points += p
        after = chunk[-1]
    notices = _queue_notices(today, notice_days)
    return ExpireReport(customers=customers, points=points, notices=notices)


def _expire_chunk(today: dt.date, low: int, high: int, version: int) -> tuple[int, int]:
    due_lots = PointsLot.objects.filter(_due(today, low, high))
    has_due = Exists(due_lots.filter(customer_id=OuterRef("pk")))
    members = Membership.objects.filter(pk__gte=low, pk__lte=high).filter(has_due)
    window_share_lock()  # the window rebuild rewrites every row in heap order: not beside it
    list(members.select_for_update().order_by("pk").values_list("pk", flat=True))
    total = due_lots.aggregate(total=Sum("remaining"))["total"] or 0
    if total == 0:
        return 0, 0  # a concurrent run took them while we waited for the locks
    q = connection.ops.quote_name
    entry, lot, alloc, member = (
        q(m._meta.db_table) for m in (PointsEntry, PointsLot, PointsAllocation, Membership)
    )
    key = "%s || CAST(l.customer_id AS TEXT) || %s"
    key_params = ["expire:", f":{today.isoformat()}"]
    due_sql = "l.remaining > 0 AND l.expires_on < %s AND l.customer_id BETWEEN %s AND %s"
    due_params = [connection.ops.adapt_datefield_value(today), low, high]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            # Identifiers come from our models' metadata; every value is a parameter.
            f"INSERT INTO {entry} (customer_id, kind, points, balance_after, occurred_at, "  # noqa: S608
            f"{q('key')}, ladder_version, note, created_at) "
            f"SELECT l.customer_id, %s, -SUM(l.remaining), m.points_balance - SUM(l.remaining), "
            f"%s, {key}, %s, '', %s "
            f"FROM {lot} l JOIN {member} m ON m.customer_id = l.customer_id "
            f"WHERE {due_sql} GROUP BY l.customer_id, m.points_balance",
            [EntryKind.EXPIRE.value, now, *key_params, version, now, *due_params],
        )
        customers = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {alloc} (entry_id, lot_id, points) "  # noqa: S608
            f"SELECT e.id, l.id, l.remaining FROM {lot} l "
            f"JOIN {entry} e ON e.{q('key')} = {key} WHERE {due_sql}",
            [*key_params, *due_params],
        )
    per_customer = (
        due_lots.filter(customer_id=OuterRef("pk"))
        .values("customer_id")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    members.update(points_balance=F("points_balance") - Subquery(per_customer))
    due_lots.update(remaining=0)
    return customers, total


def _queue_notices(today: dt.date, notice_days: int) -> int:
    """One ``points_expiring`` message per customer and expiry date within the notice period,
    in one ``INSERT ... SELECT`` over the lots grouped by customer and date; a key already
    queued (a re-run, or a run beside this one) is left out by the database."""
    horizon = today + dt.timedelta(days=notice_days)
    day = Cast("expires_on", models.CharField())  # ISO text on both databases
    expiring = (
        PointsLot.objects.filter(remaining__gt=0, expires_on__gte=today, expires_on__lte=horizon)
        .values("customer_id", "expires_on")
        .annotate(points=Sum("remaining"))
    )
    return messages_insert(
        expiring,
        key=customer_key(MessageKind.POINTS_EXPIRING, "customer_id", day),
        kind=MessageKind.POINTS_EXPIRING,
        customer=F("customer_id"),
        payload=JSONObject(points=F("points"), expires_on=day),
        now=timezone.now(),
        skip_conflicts=True,
    )
