"""Bulk-loaded data gets its loyalty state set-based, equal to what the rules say row by row."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from tiercard.demo.load import LoadReport
from tiercard.loyalty.models import GrowthEntry, Membership, PointsEntry, PointsLot, TierChange
from tiercard.loyalty.services.bulk import loyalty_bulk_init
from tiercard.loyalty.services.state import active_programme, metrics_of
from tiercard.outbox.models import OutboxMessage
from tiercard.sales.models import Purchase
from tiercard.tiers.earning import growth_for
from tiercard.tiers.evaluation import qualified_tier

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_bulk_init_derives_growth_figures_tiers_and_opening_points(demo: LoadReport) -> None:
    # given a bulk-loaded book (no checkout ran)
    assert Membership.objects.count() == 0

    report = loyalty_bulk_init(AS_OF)

    active = active_programme()
    rules = active.programme.points
    expected_growth = {
        p.pk: growth_for(rules, p.total)
        for p in Purchase.objects.all()
        if growth_for(rules, p.total)
    }
    stored = dict(GrowthEntry.objects.values_list("purchase_id", "amount"))
    assert stored == expected_growth and report.growth_entries == len(expected_growth)
    rows = list(Membership.objects.all())
    assert len(rows) == 300
    for row in rows:  # every tier is the one the pure rules give for the stored figures
        assert row.tier == qualified_tier(active.programme.ladder, metrics_of(row, AS_OF)).code
    upgraded = sum(1 for row in rows if row.tier != active.programme.ladder.lowest.code)
    assert report.tier_changes == upgraded == TierChange.objects.filter(reason="joined").count()
    assert upgraded == TierChange.objects.count() > 0
    assert not OutboxMessage.objects.exists()  # a data load is not news for the customer
    balance = Membership.objects.aggregate(s=Sum("points_balance"))["s"]
    assert balance == PointsEntry.objects.aggregate(s=Sum("points"))["s"]
    assert balance == PointsLot.objects.aggregate(s=Sum("remaining"))["s"] > 0
    assert report.opening_balances == PointsEntry.objects.count()


def test_bulk_init_is_safe_to_rerun(demo: LoadReport) -> None:
    loyalty_bulk_init(AS_OF)
    counts = (GrowthEntry.objects.count(), PointsEntry.objects.count(), TierChange.objects.count())
    tiers = dict(Membership.objects.values_list("pk", "tier"))

    again = loyalty_bulk_init(AS_OF)

    assert (again.growth_entries, again.tier_changes, again.opening_balances) == (0, 0, 0)
    assert counts == (
        GrowthEntry.objects.count(),
        PointsEntry.objects.count(),
        TierChange.objects.count(),
    )
    assert tiers == dict(Membership.objects.values_list("pk", "tier"))


def _membership_indexes() -> set[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        table = Membership._meta.db_table
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
        return set(cursor.fetchall())


def test_bulk_init_leaves_every_membership_index_as_it_found_it(demo: LoadReport) -> None:
    # given the member table's sort indexes on memberships (set aside on SQLite meanwhile)
    before = _membership_indexes()
    assert any("win_spend" in sql for _name, sql in before)

    loyalty_bulk_init(AS_OF)

    assert _membership_indexes() == before
