"""The dashboard's figures against numbers worked out by hand (see conftest.py).

Each test reads through the selectors, so the set-based refresh and the scoping of the
precomputed groups are checked together."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.analytics.conftest import TODAY, by_key
from tiercard.accounts.models import User
from tiercard.analytics.dashboard import current_state, dashboard_figures
from tiercard.analytics.periods import last_months
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.analytics.selectors.customers import customer_flow
from tiercard.analytics.selectors.follow_ups import follow_ups
from tiercard.analytics.selectors.points import points_expiring, points_flow
from tiercard.analytics.selectors.tiers import revenue_by_tier, tier_counts, tier_migrations
from tiercard.loyalty.services.state import active_programme

pytestmark = pytest.mark.django_db

MONTHS = last_months(TODAY)
LADDER = active_programme


def test_the_twelve_months_run_from_july_to_the_current_month() -> None:
    assert [m.key for m in MONTHS][:2] == ["2025-07", "2025-08"]
    assert MONTHS[-1].key == "2026-06" and len(MONTHS) == 12
    assert MONTHS[7].start.isoformat() == "2026-02-01" and MONTHS[7].end.isoformat() == "2026-03-01"


def test_customers_per_tier(refreshed: dict, users: dict[str, User]) -> None:
    assert tier_counts(users["admin"], LADDER().programme.ladder) == {
        "basic": 2,
        "standard": 1,
        "premium": 1,
        "vip": 1,
    }
    assert tier_counts(users["rep_east1"], LADDER().programme.ladder) == {
        "basic": 1,
        "standard": 0,
        "premium": 0,
        "vip": 1,
    }


def test_revenue_and_buyers_by_tier_per_month_in_the_business_time_zone(
    refreshed: dict, users: dict[str, User]
) -> None:
    ladder = active_programme().programme.ladder
    figures = revenue_by_tier(users["admin"], MONTHS, ladder)
    revenue = {code: by_key(MONTHS, values) for code, values in figures.revenue.items()}
    assert revenue == {
        "basic": {"2026-06": Decimal("200.00")},
        "standard": {"2026-06": Decimal("500.00")},
        "premium": {},
        "vip": {"2026-05": Decimal("50.00"), "2026-06": Decimal("110.00")},
    }
    assert by_key(MONTHS, figures.orders["vip"]) == {"2026-05": 1, "2026-06": 2}
    assert by_key(MONTHS, figures.buyers["vip"]) == {"2026-05": 1, "2026-06": 1}
    assert by_key(MONTHS, figures.buyers["basic"]) == {"2026-06": 1}


def test_a_sales_rep_sees_only_the_revenue_of_their_own_customers(
    refreshed: dict, users: dict[str, User]
) -> None:
    ladder = active_programme().programme.ladder
    own = revenue_by_tier(users["rep_east1"], MONTHS, ladder)
    assert sum(sum(v) for v in own.revenue.values()) == Decimal("360.00")  # 110 + 50 + 200
    assert not any(own.revenue["standard"])  # 丙's 500 belongs to rep_south
    south = revenue_by_tier(users["rep_south"], MONTHS, ladder)
    assert sum(sum(v) for v in south.revenue.values()) == Decimal("500.00")
    manager = revenue_by_tier(users["mgr_east"], MONTHS, ladder)
    assert manager == own  # the east team is rep_east1's customers here


def test_tier_migrations_per_month(refreshed: dict, users: dict[str, User]) -> None:
    admin = tier_migrations(users["admin"], MONTHS)
    assert by_key(MONTHS, admin.upgrades) == {"2026-03": 1, "2026-06": 1}
    assert by_key(MONTHS, admin.downgrades) == {"2026-06": 1}
    east = tier_migrations(users["rep_east1"], MONTHS)
    assert (by_key(MONTHS, east.upgrades), sum(east.downgrades)) == (
        {"2026-03": 1, "2026-06": 1},
        0,
    )


def test_new_and_lapsed_customers(refreshed: dict, users: dict[str, User]) -> None:
    admin = customer_flow(users["admin"], MONTHS, 30)
    assert by_key(MONTHS, admin.new) == {"2025-07": 1, "2026-02": 2, "2026-06": 1}
    assert by_key(MONTHS, admin.lapsed) == {"2026-05": 1, "2026-06": 1}  # 乙 and 丙
    assert (admin.lapsed_now, admin.lapsed_days) == (2, 30)
    east = customer_flow(users["rep_east1"], MONTHS, 30)
    assert by_key(MONTHS, east.new) == {"2025-07": 1, "2026-06": 1}
    assert (by_key(MONTHS, east.lapsed), east.lapsed_now) == ({"2026-05": 1}, 1)


def test_a_new_purchase_ends_the_lapse(refreshed: dict, users: dict[str, User]) -> None:
    from tiercard.customers.models import Customer

    Customer.objects.filter(pk=refreshed["yi"].pk).update(
        last_purchase_at=refreshed["jia"].created_at
    )
    dashboard_refresh(TODAY)
    east = customer_flow(users["rep_east1"], MONTHS, 30)
    assert (sum(east.lapsed), east.lapsed_now) == (0, 0)


def test_points_issued_redeemed_and_expired_per_month(
    refreshed: dict, users: dict[str, User]
) -> None:
    admin = points_flow(users["admin"], MONTHS)
    assert by_key(MONTHS, admin.issued) == {"2026-05": 50, "2026-06": 600}
    assert by_key(MONTHS, admin.redeemed) == {"2026-06": 20}  # 30 less the 10 cancelled
    assert by_key(MONTHS, admin.expired) == {"2026-06": 5}
    east = points_flow(users["rep_east1"], MONTHS)
    assert by_key(MONTHS, east.issued) == {"2026-05": 50, "2026-06": 100}


def test_points_expiring_within_30_60_90_days(refreshed: dict, users: dict[str, User]) -> None:
    admin = points_expiring(users["admin"])
    assert admin.points == {30: 140, 60: 140, 90: 165}
    assert admin.customers == {30: 2, 60: 2, 90: 2}
    east = points_expiring(users["rep_east1"])
    assert east.points == {30: 40, 60: 40, 90: 65}


def test_follow_ups_due_today_and_overdue(refreshed: dict, users: dict[str, User]) -> None:
    admin = follow_ups(users["admin"], TODAY)
    assert (admin.due_today, admin.overdue) == (2, 1)
    assert [(i.customer.name, i.next_step_due.isoformat()) for i in admin.items] == [
        ("甲", "2026-06-15"),
        ("丙", "2026-06-15"),
        ("乙", "2026-06-05"),
    ]
    east = follow_ups(users["rep_east1"], TODAY)
    assert (east.due_today, east.overdue) == (1, 1)
    assert {i.customer.name for i in east.items} == {"甲", "乙"}


def test_someone_without_access_sees_nothing(refreshed: dict, users: dict[str, User]) -> None:
    users["rep_east1"].is_active = False
    users["rep_east1"].save()
    state = current_state(TODAY)
    assert state is not None
    figures = dashboard_figures(users["rep_east1"], state, LADDER().programme.ladder)
    assert figures.is_empty and not figures.has_purchases
    assert sum(figures.points.issued) == 0 and figures.expiring.points[90] == 0
    assert follow_ups(users["rep_east1"], TODAY).items == []


def test_the_figures_of_an_empty_book(users: dict[str, User]) -> None:
    state = current_state(TODAY)  # a small book: the page refreshes it itself
    assert state is not None and state.as_of == TODAY
    figures = dashboard_figures(users["admin"], state, LADDER().programme.ladder)
    assert figures.is_empty and not figures.has_purchases
    assert figures.tier_counts == {"basic": 0, "standard": 0, "premium": 0, "vip": 0}
    assert figures.customers.lapsed_now == 0 and sum(figures.migrations.upgrades) == 0
