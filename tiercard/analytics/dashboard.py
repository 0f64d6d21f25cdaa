"""Everything the dashboard shows, read once per scope and kept for a few minutes.

Why a short-lived cache and not precomputed monthly tables: at a million customers and ten
million purchases, the month-by-tier GROUP BY over a year of purchases and the scan of a year
of points entries take seconds, not the few hundred milliseconds a page may take. Precomputed
aggregates would have to follow every purchase, return, points entry, tier change and change
of owner (the scope is the customer's *current* owner and team), which is a second
bookkeeping of the loyalty engine to keep right. The figures of a dashboard may be a few
minutes old; the page says as of when. So the figures are computed exactly, by bounded
set-based queries, and cached under the viewer's *scope* (``scope_key``): every
administrator shares one entry, each sales rep has their own, and no figure can leak from
one scope to another because the key is the scoping query itself. The entry also carries the
business date and the programme version, so a new day or a new ladder starts afresh.

The follow-up list is not cached: it is small, bounded, and people act on it minute by minute.

``TIERCARD_DASHBOARD_CACHE_SECONDS`` (default 300; 0 turns the cache off) sets the lifetime.
Cached values are language-neutral (tier codes, month keys, Decimals): names and formats are
the interface's business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.analytics.periods import Month, last_months
from tiercard.analytics.scope import scope_key
from tiercard.analytics.selectors.customers import CustomerFlow, customer_flow
from tiercard.analytics.selectors.points import PointsFlow, points_expiring, points_flow
from tiercard.analytics.selectors.tiers import (
    Migrations,
    TierMonthly,
    revenue_by_tier,
    tier_counts,
    tier_migrations,
)
from tiercard.loyalty.selectors.points import PointsForecast
from tiercard.loyalty.services.state import active_programme

CACHE_VERSION = 1


@dataclass(frozen=True)
class Figures:
    computed_at: dt.datetime
    months: list[Month]
    ladder_version: int
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


def cache_seconds() -> int:
    return int(getattr(settings, "TIERCARD_DASHBOARD_CACHE_SECONDS", 300))


def compute_figures(viewer: User, today: dt.date) -> Figures:
    """Every charted figure of the viewer's scope: seven queries plus the programme's one."""
    active = active_programme()
    ladder = active.programme.ladder
    months = last_months(today)
    return Figures(
        computed_at=timezone.now(),
        months=months,
        ladder_version=active.version,
        tier_counts=tier_counts(viewer),
        by_tier=revenue_by_tier(viewer, months, ladder),
        migrations=tier_migrations(viewer, months, ladder),
        customers=customer_flow(viewer, months, today),
        points=points_flow(viewer, months),
        expiring=points_expiring(viewer, today),
    )


def dashboard_figures(viewer: User, today: dt.date) -> Figures:
    """The viewer's figures, from the scope's cache entry when one is fresh."""
    seconds = cache_seconds()
    scope = scope_key(viewer)
    if seconds <= 0 or scope is None:
        return compute_figures(viewer, today)
    version = active_programme().version
    key = f"tiercard:dashboard:{CACHE_VERSION}:{scope}:{today.isoformat()}:{version}"
    figures = cache.get(key)
    if isinstance(figures, Figures):
        return figures
    figures = compute_figures(viewer, today)
    cache.set(key, figures, seconds)
    return figures
