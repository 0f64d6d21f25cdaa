"""Rebuilding the dashboard's figures: set-based GROUP BYs over the whole book, written at once.

Why precomputed figures: measured at a million customers and ten million purchases on SQLite,
the dashboard's figures read live take from 1.4 s (points expiring) to 160 s (revenue by tier
over a year of purchases, joined to each purchase's customer and tier), far beyond a page
load, and a cache would only hide that from the second visitor. So the figures are computed
here, per group of customers (owner × team × tier held today, see ``models``) and per month,
and a page sums the few hundred rows of the groups its viewer may see.

How: each figure is one GROUP BY over one table, joined to the customer for the group's key;
the revenue query walks customers and reaches their purchases of the months through the
``(customer, occurred_at)`` index (written as a ``CROSS JOIN``, which fixes that join order on
SQLite; about 40 s at full size, the other queries a few seconds each). Everything is read
first, outside any write transaction (WAL readers block no one); the tables are then replaced
in one short transaction that first locks the state row, so two refreshes queue instead of
interleaving.

When: ``dashboard_refresh`` runs from the command ``tiercard dashboard_refresh`` (schedule it
like the nightly review, e.g. every 15 minutes), and from the page itself when the figures
are stale and the book is small enough to refresh within a page load (see ``freshness``).

Definitions (the page repeats them): revenue is net of returns, in the month of the purchase;
"by tier" is the tier held on the refresh day; months are calendar months of the business
time zone; a customer *lapses* on the N-th day after their last purchase (N =
``TIERCARD_LAPSED_DAYS``) and counts in that month unless they bought again since; archived
customers are never counted as lapsed; points *issued* are earned by purchases, *redeemed*
is net of cancelled redemptions, *expired* what the nightly expiry took; "expiring within N
days" counts open lots whose last day is from today to today + N (cumulative); a follow-up is
an interaction's next step, *open* while no later interaction with the customer settled it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tiercard.analytics.models import CurrentFigure, MonthlyFigure, OpenFollowUp, RollupState
from tiercard.analytics.periods import (
    Month,
    date_bucket,
    date_range,
    instant,
    instant_bucket,
    instant_range,
    last_months,
)
from tiercard.core.money import quantize
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import EntryKind, PointsEntry, PointsLot, TierChange
from tiercard.loyalty.selectors.points import HORIZONS
from tiercard.loyalty.services.state import active_programme
from tiercard.sales.models import Purchase
from tiercard.tiers.ladder import Ladder

Key = tuple[int, int, int, str]  # month index, owner key, team key, tier
Group = tuple[int, int, str]


def lapsed_days() -> int:
    return int(getattr(settings, "TIERCARD_LAPSED_DAYS", 180))


def _group(prefix: str, lowest: str) -> dict[str, Coalesce | Case]:
    """The group key of a row: its customer's owner, team and tier held today (read from the
    customer row's copy, "" for the lowest tier: no join to the memberships)."""
    return {
        "o": Coalesce(f"{prefix}owner_id", 0),
        "t": Coalesce(f"{prefix}team_id", 0),
        "held": Case(
            When(**{f"{prefix}tier": ""}, then=Value(lowest)),
            default=F(f"{prefix}tier"),
            output_field=CharField(),
        ),
    }


def _keyed(qs: QuerySet[Any], prefix: str, lowest: str, **more: Any) -> Any:
    """``qs`` with its rows' group key (``o``, ``t``, ``tier``) and ``more`` annotated."""
    return qs.order_by().annotate(**more, **_group(prefix, lowest))


def _rows(qs: QuerySet[Any], prefix: str, lowest: str, bucket: Case, **sums: Any) -> list[Any]:
    return list(_keyed(qs, prefix, lowest, m=bucket).values("m", "o", "t", "held").annotate(**sums))


def _revenue(months: list[Month], lowest: str) -> list[tuple[Any, ...]]:
    """Revenue, orders and buyers per month and group (hand-written SQL: see the docstring)."""
    ops = connection.ops
    bounds = [ops.adapt_datetimefield_value(instant(m.end)) for m in months[:-1]]
    whens = " ".join(f"WHEN p.occurred_at < %s THEN {i}" for i in range(len(bounds)))
    customer = Customer._meta.db_table
    purchase = Purchase._meta.db_table
    sql = f"""
        SELECT CASE {whens} ELSE {len(months) - 1} END,
               COALESCE(c.owner_id, 0), COALESCE(c.team_id, 0),
               CASE c.tier WHEN '' THEN %s ELSE c.tier END,
               SUM(p.total - p.returned_amount), COUNT(*), COUNT(DISTINCT p.customer_id)
        FROM {customer} c
        CROSS JOIN {purchase} p
        WHERE p.customer_id = c.id AND p.occurred_at >= %s AND p.occurred_at < %s
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - table names come from the models, every value is a parameter
    low = ops.adapt_datetimefield_value(instant(months[0].start))
    high = ops.adapt_datetimefield_value(instant(months[-1].end))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*bounds, lowest, low, high])
        return list(cursor.fetchall())


def _position(field: str, ladder: Ladder) -> Case:
    whens = [When(**{field: t.code}, then=Value(i)) for i, t in enumerate(ladder.tiers)]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("points", filter=condition), 0)


def monthly_figures(today: dt.date, ladder: Ladder) -> dict[Key, dict[str, Any]]:
    """Every monthly measure of the twelve months ending with ``today``'s, per group."""
    months = last_months(today)
    lowest = ladder.lowest.code
    days = lapsed_days()
    figures: dict[Key, dict[str, Any]] = defaultdict(dict)

    def put(row: dict[str, Any], **measures: Any) -> None:
        figures[(row["m"], row["o"], row["t"], row["held"])].update(measures)

    for m, o, t, tier, net, orders, buyers in _revenue(months, lowest):
        figures[(m, o, t, tier)].update(
            revenue=quantize(Decimal(str(net or 0))), orders=orders, buyers=buyers
        )
    changes = TierChange.objects.filter(**date_range("effective_on", months)).exclude(from_tier="")
    changes = changes.annotate(was=_position("from_tier", ladder), now=_position("to_tier", ladder))
    for row in _rows(
        changes,
        "customer__",
        lowest,
        date_bucket("effective_on", months),
        up=Count("pk", filter=Q(now__gt=F("was"))),
        down=Count("pk", filter=Q(now__lt=F("was"))),
    ):
        put(row, upgrades=row["up"], downgrades=row["down"])
    registered = Customer.objects.filter(**date_range("registered_on", months))
    for row in _rows(registered, "", lowest, date_bucket("registered_on", months), n=Count("pk")):
        put(row, new_customers=row["n"])
    # Lapsed on day D = last purchase before the start of day D - N + 1; up to today only.
    went = (
        Customer.objects.exclude(status=CustomerStatus.ARCHIVED)
        .filter(**instant_range("last_purchase_at", months, shift=days))
        .filter(last_purchase_at__lt=instant(today - dt.timedelta(days=days - 1)))
    )
    for row in _rows(
        went, "", lowest, instant_bucket("last_purchase_at", months, shift=days), n=Count("pk")
    ):
        put(row, lapsed=row["n"])
    entries = PointsEntry.objects.filter(**instant_range("occurred_at", months))
    for row in _rows(
        entries,
        "customer__",
        lowest,
        instant_bucket("occurred_at", months),
        issued=_sum(Q(kind=EntryKind.EARN)),
        redeemed=_sum(Q(kind=EntryKind.REDEEM) | Q(kind=EntryKind.REVERSAL, points__gt=0)),
        expired=_sum(Q(kind=EntryKind.EXPIRE)),
    ):
        put(
            row,
            points_issued=row["issued"],
            points_redeemed=-row["redeemed"],
            points_expired=-row["expired"],
        )
    return figures


def current_figures(today: dt.date, ladder: Ladder) -> dict[Group, dict[str, Any]]:
    """Customers, lapsed customers and points expiring, as of ``today``, per group."""
    lowest = ladder.lowest.code
    not_since = instant(today - dt.timedelta(days=lapsed_days() - 1))
    figures: dict[Group, dict[str, Any]] = defaultdict(dict)
    lapsed = Q(last_purchase_at__lt=not_since) & ~Q(status=CustomerStatus.ARCHIVED)
    for row in (
        _keyed(Customer.objects.all(), "", lowest)
        .values("o", "t", "held")
        .annotate(n=Count("pk"), lapsed=Count("pk", filter=lapsed), sample=Min("pk"))
    ):
        figures[(row["o"], row["t"], row["held"])].update(
            customers=row["n"], lapsed=row["lapsed"], sample_id=row["sample"]
        )
    within = {days: Q(expires_on__lte=today + dt.timedelta(days=days)) for days in HORIZONS}
    sums: dict[str, Any] = {}
    for days in HORIZONS:
        sums[f"p{days}"] = Coalesce(Sum("remaining", filter=within[days]), 0)
        sums[f"c{days}"] = Count("customer_id", distinct=True, filter=within[days])
    lots = PointsLot.objects.filter(
        remaining__gt=0,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=max(HORIZONS)),
    )
    for row in _keyed(lots, "customer__", lowest).values("o", "t", "held").annotate(**sums):
        figures[(row["o"], row["t"], row["held"])].update(
            {f"expiring_{d}": row[f"p{d}"] for d in HORIZONS}
            | {f"expiring_customers_{d}": row[f"c{d}"] for d in HORIZONS}
        )
    return figures


OVERDUE_DAYS = 30


def open_follow_ups(today: dt.date) -> list[OpenFollowUp]:
    """Follow-ups due from ``OVERDUE_DAYS`` days ago to today that no later contact settled."""
    later = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"), occurred_at__gt=OuterRef("occurred_at")
    )
    rows = (
        Interaction.objects.filter(
            next_step_due__gte=today - dt.timedelta(days=OVERDUE_DAYS), next_step_due__lte=today
        )
        .exclude(next_step="")
        .filter(~Exists(later))
        .values_list("pk", "customer_id", "occurred_at", "next_step_due")
    )
    return [
        OpenFollowUp(interaction_id=pk, customer_id=c, occurred_at=at, due=due or today)
        for pk, c, at, due in rows
    ]


def dashboard_refresh(today: dt.date) -> RollupState:
    """Recompute every figure for business day ``today`` and replace the tables. Re-runnable.

    Safe beside another refresh: the replacement is a compare-and-swap on the state row's
    ``started_at``. Figures from a refresh that began later than this one are newer (they saw
    every write this one saw), so this one then leaves them in place and writes nothing.
    """
    began = timezone.now()
    started = time.perf_counter()
    ladder = active_programme().programme.ladder
    months = last_months(today)
    monthly = [
        MonthlyFigure(month=months[m].start, owner_key=o, team_key=t, tier=tier, **measures)
        for (m, o, t, tier), measures in monthly_figures(today, ladder).items()
    ]
    current = [
        CurrentFigure(owner_key=o, team_key=t, tier=tier, **measures)
        for (o, t, tier), measures in current_figures(today, ladder).items()
    ]
    follow_ups = open_follow_ups(today)
    with transaction.atomic():
        state = RollupState.objects.select_for_update().filter(pk=1).first()
        if state is None:
            state = RollupState.objects.create(pk=1)
        if state.started_at is not None and state.started_at > began:
            return state  # a refresh that began later has replaced the tables already
        MonthlyFigure.objects.all().delete()
        CurrentFigure.objects.all().delete()
        OpenFollowUp.objects.all().delete()
        MonthlyFigure.objects.bulk_create(monthly, batch_size=500)
        CurrentFigure.objects.bulk_create(current, batch_size=500)
        OpenFollowUp.objects.bulk_create(follow_ups, batch_size=500)
        state.refreshed_at = timezone.now()
        state.as_of = today
        state.lapsed_days = lapsed_days()
        state.seconds = round(time.perf_counter() - started, 3)
        state.updated_at = state.refreshed_at
        state.started_at = began
        # Only the refresh's own fields: the job's claim (``running_since``…) is not ours.
        state.save(
            update_fields=[
                "refreshed_at",
                "as_of",
                "lapsed_days",
                "seconds",
                "updated_at",
                "started_at",
            ]
        )
    return state
