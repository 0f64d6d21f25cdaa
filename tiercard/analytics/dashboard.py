"""Everything the dashboard shows, read from the precomputed figures of the viewer's groups.

The figures are rebuilt by ``rollup.dashboard_refresh`` (why precomputed: see there). A page
finds them *stale* when they are older than ``TIERCARD_DASHBOARD_REFRESH_SECONDS`` (default
600) or were made for another business day. A stale book of at most
``TIERCARD_DASHBOARD_INLINE_CUSTOMERS`` customers (default 20,000; a refresh then takes well
under a second) is refreshed by the page itself, so a small shop sees a purchase it has just
recorded; a larger book shows the last figures with their time, and the scheduled command
``tiercard dashboard_refresh`` keeps them current.

Follow-ups (``selectors.follow_ups``) start from the refresh's candidates and are checked live
against later interactions and the viewer's scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.analytics.models import RollupState
from tiercard.analytics.periods import Month, last_months
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.analytics.selectors.customers import CustomerFlow, customer_flow
from tiercard.analytics.selectors.points import PointsFlow, points_expiring, points_flow
from tiercard.analytics.selectors.tiers import (
    Migrations,
    TierMonthly,
    revenue_by_tier,
    tier_counts,
    tier_migrations,
)
from tiercard.customers.models import Customer
from tiercard.loyalty.selectors.points import PointsForecast
from tiercard.tiers.ladder import Ladder


@dataclass(frozen=True)
class Figures:
    computed_at: dt.datetime
    as_of: dt.date
    months: list[Month]
    tier_counts: dict[str, int]
    by_tier: TierMonthly
    migrations: Migrations
    customers: CustomerFlow
    points: PointsFlow
    expiring: PointsForecast

    @property
    def is_empty(self) -> bool:
        """No customer in scope at all."""
        return not any(self.tier_counts.values())

    @property
    def has_purchases(self) -> bool:
        return any(any(orders) for orders in self.by_tier.orders.values())


def is_stale(state: RollupState | None, today: dt.date) -> bool:
    if state is None or state.refreshed_at is None or state.as_of != today:
        return True
    seconds = int(getattr(settings, "TIERCARD_DASHBOARD_REFRESH_SECONDS", 600))
    return state.refreshed_at < timezone.now() - dt.timedelta(seconds=seconds)


def refreshes_inline() -> bool:
    """True when the book is small enough to refresh within a page load (one indexed probe)."""
    limit = int(getattr(settings, "TIERCARD_DASHBOARD_INLINE_CUSTOMERS", 20000))
    return not Customer.objects.all()[limit : limit + 1].exists()


def current_state(today: dt.date) -> RollupState | None:
    """The figures' state, refreshed first when stale and the book is small."""
    state = RollupState.objects.filter(pk=1).first()
    if not is_stale(state, today):
        return state
    if refreshes_inline():
        return dashboard_refresh(today)
    return state if state is not None and state.as_of is not None else None


def dashboard_figures(viewer: User, state: RollupState, ladder: Ladder) -> Figures:
    """The viewer's figures: seven small queries over the precomputed tables."""
    assert state.as_of is not None and state.refreshed_at is not None
    months = last_months(state.as_of)
    return Figures(
        computed_at=state.refreshed_at,
        as_of=state.as_of,
        months=months,
        tier_counts=tier_counts(viewer, ladder),
        by_tier=revenue_by_tier(viewer, months, ladder),
        migrations=tier_migrations(viewer, months),
        customers=customer_flow(viewer, months, state.lapsed_days),
        points=points_flow(viewer, months),
        expiring=points_expiring(viewer),
    )
