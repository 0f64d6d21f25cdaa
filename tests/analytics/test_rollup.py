"""The precomputed figures: rebuilt whole, refreshed by the page only for small books."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.analytics.conftest import NOW, TODAY, at
from tiercard.accounts.models import User
from tiercard.analytics.dashboard import current_state, dashboard_figures
from tiercard.analytics.models import CurrentFigure, MonthlyFigure, RollupState
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.loyalty.services.state import active_programme
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db


def revenue_today(user: User) -> Any:
    state = current_state(TODAY)
    assert state is not None
    figures = dashboard_figures(user, state, active_programme().programme.ladder)
    return sum(values[-1] for values in figures.by_tier.revenue.values())


def test_a_refresh_replaces_every_row_and_can_run_again(refreshed: dict) -> None:
    first = (MonthlyFigure.objects.count(), CurrentFigure.objects.count())
    assert first[0] > 0 and first[1] > 0
    state = dashboard_refresh(TODAY)
    assert (MonthlyFigure.objects.count(), CurrentFigure.objects.count()) == first
    assert (state.pk, state.as_of, state.lapsed_days) == (1, TODAY, 30)
    assert RollupState.objects.count() == 1


def test_a_small_book_is_refreshed_by_the_page_once_stale(
    refreshed: dict, users: dict[str, User], settings: Any
) -> None:
    settings.TIERCARD_DASHBOARD_REFRESH_SECONDS = 600
    Purchase.objects.create(
        customer=refreshed["bing"], occurred_at=at("2026-06-14"), subtotal=1000, total=1000
    )
    assert revenue_today(users["admin"]) == 810  # fresh figures are used as they are
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        assert revenue_today(users["admin"]) == 1810  # stale: recomputed with the purchase


def test_a_large_book_keeps_its_last_figures_for_the_scheduled_refresh(
    refreshed: dict, users: dict[str, User], settings: Any
) -> None:
    settings.TIERCARD_DASHBOARD_INLINE_CUSTOMERS = 3  # the book has five customers
    Purchase.objects.create(
        customer=refreshed["bing"], occurred_at=at("2026-06-14"), subtotal=1000, total=1000
    )
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert revenue_today(users["admin"]) == 810
    RollupState.objects.all().delete()
    assert current_state(TODAY) is None  # never computed: the page says they are coming


def test_groups_follow_the_customers_owner_at_the_refresh(
    refreshed: dict, users: dict[str, User]
) -> None:
    from tiercard.customers.models import Customer

    assert revenue_today(users["rep_east1"]) == 310
    # 丙 moves from rep_south to rep_east1: after the next refresh the history moves along.
    Customer.objects.filter(pk=refreshed["bing"].pk).update(
        owner=users["rep_east1"], team=users["rep_east1"].team
    )
    dashboard_refresh(TODAY)
    assert revenue_today(users["rep_east1"]) == 810
    assert revenue_today(users["rep_south"]) == 0
