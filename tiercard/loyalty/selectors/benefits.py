"""Reads of benefits: what a customer's tier gives them, and how much of each quota is left.

The tier is the one held now (no membership row = the lowest tier) under the active programme.
A quota's figures are for the period holding ``today``: used, remaining and the period's last
day (the day after it, the quota is full again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import BenefitCounter, Membership
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.window import Period, add_months

PERIOD_MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}


def period_bounds(period: Period, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period holding ``day``."""
    start = period.start(day)
    return start, add_months(start, PERIOD_MONTHS[period]) - dt.timedelta(days=1)


@dataclass(frozen=True)
class QuotaUsage:
    code: str
    name_zh: str
    name_en: str
    limit: int
    period: Period
    period_start: dt.date
    period_end: dt.date  # last day of the period; the quota renews the day after
    used: int
    remaining: int


@dataclass(frozen=True)
class CustomerBenefits:
    customer_id: int
    tier: str
    tier_name_zh: str
    tier_name_en: str
    ladder_version: int
    discount_percent: Decimal
    points_multiplier: Decimal
    birthday_gift: str
    dedicated_manager: bool  # the tier requires one
    has_owner: bool  # the customer has an account manager
    response_hours: int | None
    follow_up_days: int | None
    priority_booking: bool
    quotas: tuple[QuotaUsage, ...]


def benefits_of_customer(*, viewer: User, customer_id: int, today: dt.date) -> CustomerBenefits:
    """The customer's tier benefits with quota usage this period; ``NotFound`` out of scope.

    Two queries besides the active programme's: the scoped customer with its tier, and the
    counters of the current periods (none when the tier has no quota).
    """
    row = (
        visible_customers(viewer)
        .filter(pk=customer_id)
        .values_list("owner_id", "membership__tier")
        .first()
    )
    if row is None:
        raise NotFound()
    owner_id, held = row
    active = active_programme()
    ladder = active.programme.ladder
    tier = next((t for t in ladder.tiers if t.code == held), ladder.lowest)
    benefits = active.programme.benefits_of(tier.code)
    bounds = {q.code: period_bounds(q.period, today) for q in benefits.quotas}
    used: dict[str, int] = {}
    if bounds:
        match = Q()
        for code, (start, _end) in bounds.items():
            match |= Q(code=code, period_start=start)
        used = dict(
            BenefitCounter.objects.filter(match, customer_id=customer_id).values_list(
                "code", "used"
            )
        )
    quotas = tuple(
        QuotaUsage(
            code=q.code,
            name_zh=q.name_zh,
            name_en=q.name_en,
            limit=q.limit,
            period=q.period,
            period_start=bounds[q.code][0],
            period_end=bounds[q.code][1],
            used=used.get(q.code, 0),
            remaining=max(q.limit - used.get(q.code, 0), 0),
        )
        for q in benefits.quotas
    )
    return CustomerBenefits(
        customer_id=customer_id,
        tier=tier.code,
        tier_name_zh=tier.name_zh,
        tier_name_en=tier.name_en,
        ladder_version=active.version,
        discount_percent=benefits.discount_percent,
        points_multiplier=benefits.points_multiplier,
        birthday_gift=benefits.birthday_gift,
        dedicated_manager=benefits.dedicated_manager,
        has_owner=owner_id is not None,
        response_hours=benefits.response_hours,
        follow_up_days=benefits.follow_up_days,
        priority_booking=benefits.priority_booking,
        quotas=quotas,
    )


@dataclass(frozen=True)
class HeldDiscount:
    tier_name_zh: str
    tier_name_en: str
    percent: Decimal


def held_discount(*, viewer: User, customer_id: int) -> HeldDiscount:
    """The discount of the tier the customer holds now (what ``tier_discount`` on a purchase
    takes); ``NotFound`` out of scope. One query besides the active programme's."""
    row = visible_customers(viewer).filter(pk=customer_id).values_list("membership__tier").first()
    if row is None:
        raise NotFound()
    programme = active_programme().programme
    tier = next((t for t in programme.ladder.tiers if t.code == row[0]), programme.ladder.lowest)
    percent = programme.benefits_of(tier.code).discount_percent
    return HeldDiscount(tier.name_zh, tier.name_en, percent)


@dataclass(frozen=True)
class ServiceTerms:
    """What a customer's tier promises a service ticket opened now."""

    tier: str
    response_hours: int | None
    priority: bool  # the tier's priority booking: its tickets go first in the queue


def service_terms(*, customer_id: int) -> ServiceTerms:
    """The terms of the tier the customer holds now (the lowest when none). The caller has
    read the customer through its viewer's scope; one query besides the active programme's."""
    held = Membership.objects.filter(customer_id=customer_id).values_list("tier", flat=True)
    programme = active_programme().programme
    code = held.first()
    tier = next((t for t in programme.ladder.tiers if t.code == code), programme.ladder.lowest)
    benefits = programme.benefits_of(tier.code)
    return ServiceTerms(tier.code, benefits.response_hours, benefits.priority_booking)
