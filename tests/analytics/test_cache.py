"""Figures cached per scope: shared by viewers who see the same customers, never across."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.conftest import TODAY, at
from tiercard.accounts.models import User
from tiercard.analytics.dashboard import dashboard_figures
from tiercard.analytics.scope import scope_key
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db


def test_viewers_who_see_the_same_customers_share_a_scope(users: dict[str, User]) -> None:
    keys = {name: scope_key(user) for name, user in users.items()}
    assert keys["admin"] == keys["service"] == keys["marketing"]
    assert len({keys["admin"], keys["rep_east1"], keys["rep_east2"], keys["mgr_east"]}) == 4
    users["rep_south"].is_active = False
    assert scope_key(users["rep_south"]) is None


def test_cached_figures_stay_within_their_scope(
    world: dict, users: dict[str, User], settings: Any
) -> None:
    settings.TIERCARD_DASHBOARD_CACHE_SECONDS = 300
    first = dashboard_figures(users["admin"], TODAY)
    Purchase.objects.create(
        customer=world["bing"], occurred_at=at("2026-06-14"), subtotal=1000, total=1000
    )
    # Within the lifetime the administrators' entry is reused, by any viewer of that scope.
    assert dashboard_figures(users["admin"], TODAY) == first
    assert dashboard_figures(users["marketing"], TODAY).by_tier == first.by_tier
    # A rep's figures are their own entry: computed now, over their own customers only.
    south = dashboard_figures(users["rep_south"], TODAY)
    assert south.by_tier.revenue["standard"][-1] == 1500
    east = dashboard_figures(users["rep_east1"], TODAY)
    assert east.tier_counts == {"basic": 1, "standard": 0, "premium": 0, "vip": 1}
    # Switched off, every view computes afresh.
    settings.TIERCARD_DASHBOARD_CACHE_SECONDS = 0
    assert dashboard_figures(users["admin"], TODAY).by_tier.revenue["standard"][-1] == 1500
