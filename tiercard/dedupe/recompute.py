"""Recomputing one card's figures from its records, after a merge moved records between cards.

The same definitions as the purchase path and ``loyalty.services.window.window_rebuild`` (the
reference the tests compare against), restricted to the given customers:

* card: ``order_count`` = purchases − those fully returned (with a total above 0),
  ``total_spend`` = Σ (total − returned), first/last purchase = min/max ``occurred_at``;
* membership: window spend, orders and largest order over purchases from the window start,
  ``last_purchase_on`` = business date of the latest purchase not fully returned,
  ``growth_total`` / ``win_growth`` = Σ growth entries (all / in the window).

Callers hold the memberships' locks (``loyalty.services.state.membership_lock``) inside their
transaction. A handful of statements, whatever the number of records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce

from tiercard.core.timeutils import business_today, local_day_bounds
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import GrowthEntry, Membership
from tiercard.sales.models import HALF_CENT, Purchase

ZERO = Decimal("0.00")


def card_figures_recompute(customer_ids: Sequence[int]) -> None:
    for pk in customer_ids:  # two cards per merge: a bounded loop, not one over the base
        purchases = Purchase.objects.filter(customer_id=pk)
        figures = purchases.aggregate(
            n=Count("id"),
            full=Count("id", filter=Q(total__gt=0, returned_amount__gte=F("total") - HALF_CENT)),
            spend=Coalesce(Sum(F("total") - F("returned_amount")), ZERO),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
        # Interactions moved too: the last contact is the latest left on the card.
        contact = Interaction.objects.filter(customer_id=pk).aggregate(at=Max("occurred_at"))
        Customer.objects.filter(pk=pk).update(
            last_interaction_at=contact["at"],
            order_count=figures["n"] - figures["full"],
            total_spend=_money(figures["spend"]),
            first_purchase_at=figures["first"],
            last_purchase_at=figures["last"],
        )


def membership_figures_recompute(customer_ids: Sequence[int], window_start: dt.date) -> None:
    since = local_day_bounds(window_start)[0]
    for pk in customer_ids:
        purchases = Purchase.objects.filter(customer_id=pk)
        window = purchases.filter(occurred_at__gte=since).aggregate(
            spend=Coalesce(Sum(F("total") - F("returned_amount")), ZERO),
            orders=Count("id", filter=Q(returned_amount__lt=F("total") - HALF_CENT)),
            largest=Coalesce(Max(F("total") - F("returned_amount")), ZERO),
        )
        last = purchases.filter(returned_amount__lt=F("total") - HALF_CENT).aggregate(
            at=Max("occurred_at")
        )["at"]
        growth = GrowthEntry.objects.filter(customer_id=pk).aggregate(
            total=Coalesce(Sum("amount"), 0),
            win=Coalesce(Sum("amount", filter=Q(occurred_on__gte=window_start)), 0),
        )
        Membership.objects.filter(pk=pk).update(
            win_spend=_money(window["spend"]),
            win_orders=window["orders"],
            win_max_order=_money(window["largest"]),
            win_growth=growth["win"],
            growth_total=growth["total"],
            last_purchase_on=None if last is None else business_today(last),
        )


def _money(value: object) -> Decimal:
    # SQLite sums decimals as binary floats: round back to cents.
    return Decimal(str(value)).quantize(Decimal("0.01"))
