"""Helpers for the grading, review, ladder and tier selector tests: memberships built directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection

from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.loyalty.models import Membership, ReviewMark, TierLadder
from tiercard.tiers.programme import Programme, dump_programme

TODAY = dt.date(2026, 6, 15)


def member(customer: Customer | int, tier: str = "basic", **figures: Any) -> Membership:
    """A membership with figures given as spend=, orders=, growth=, max_order=, last=;
    ``marked=True`` also marks it for the next review."""
    pk = customer if isinstance(customer, int) else customer.pk
    fields: dict[str, Any] = {
        "win_spend": Decimal(str(figures.pop("spend", "0"))),
        "win_orders": figures.pop("orders", 0),
        "win_growth": figures.pop("growth", 0),
        "win_max_order": Decimal(str(figures.pop("max_order", "0"))),
        "last_purchase_on": figures.pop("last", None),
        "ladder_version": figures.pop("ladder_version", active_version()),
    }
    mark = figures.pop("marked", False)
    fields.update(figures)
    made = Membership.objects.create(customer_id=pk, tier=tier, **fields)
    if mark:
        ReviewMark.objects.create(customer_id=pk)
    return made


def vip_member(customer: Customer) -> Customer:
    """The customer in VIP级 (the default programme's tier that promises a dedicated account
    manager), read back with the card's copy of the tier the membership trigger wrote."""
    member(customer, "vip")
    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.tier == "vip"
    return fresh


def marked(customer_id: int) -> bool:
    """Whether the next review is to look at this customer."""
    return ReviewMark.objects.filter(customer_id=customer_id).exists()


def active_version() -> int:
    return TierLadder.objects.get(is_active=True).version


def customers(owner: User, count: int, prefix: str = "客户") -> list[Customer]:
    """``count`` bare customers owned by ``owner`` (bulk, no search text: not needed here)."""
    made = Customer.objects.bulk_create(
        [Customer(name=f"{prefix}{i}", owner=owner, team=owner.team) for i in range(count)]
    )
    return list(Customer.objects.filter(pk__in=[c.pk for c in made]).order_by("pk"))


def activate(programme: Programme, version: int = 2) -> None:
    """Make ``programme`` the active version (tests of other policies than the default)."""
    TierLadder.objects.update(is_active=False)
    TierLadder.objects.create(version=version, rules=dump_programme(programme), is_active=True)


def window_ready(today: dt.date = TODAY) -> None:
    """A window already rolled to ``today``, so the nightly roll keeps the figures built here."""
    from tiercard.loyalty.models import WindowState
    from tiercard.loyalty.services.state import active_programme, spec_of

    active = active_programme()
    WindowState.objects.update_or_create(
        pk=1,
        defaults={"window_start": active.programme.window.start(today), "spec": spec_of(active)},
    )


def membership_triggers() -> set[str]:
    """The names of the triggers on loyalty_membership (a migration that makes SQLite rebuild
    the table drops them silently)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'loyalty_membership'::regclass "
                "AND NOT tgisinternal"
            )
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'loyalty_membership'"
            )
        return {row[0] for row in cur.fetchall()}
