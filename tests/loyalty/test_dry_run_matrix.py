"""The dry run's matrix is the same whichever way it is grouped: by the new tier with a count
per held tier, or (for held codes outside the active ladder) by both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.ladders import ladder_draft_create, ladder_dry_run
from tiercard.loyalty.services.state import active_programme

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def member(customer, tier: str, spend: str, orders: int) -> None:
    Membership.objects.create(
        customer=customer,
        tier=tier,
        ladder_version=active_programme().version,
        win_spend=Decimal(spend),
        win_orders=orders,
        last_purchase_on=TODAY,
    )


def test_matrix_counts_and_examples_per_move(users, book):
    member(book["east1"], "vip", "2500.00", 3)  # qualifies for standard only
    member(book["east2"], "vip", "100.00", 1)  # basic
    member(book["south"], "standard", "2500.00", 3)  # stays
    draft = ladder_draft_create(actor=users["admin"], preset="default", note="same rules")

    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)

    rows = run.matrix
    assert rows["vip"] == {"standard": 1, "basic": 1}
    assert rows["standard"]["standard"] == 1
    assert run.samples["vip"] == {"standard": [book["east1"].pk], "basic": [book["east2"].pk]}


def test_a_held_code_outside_the_active_ladder_is_still_counted(users, book):
    member(book["east1"], "legacy_gold", "2500.00", 3)
    member(book["east2"], "vip", "100.00", 1)
    draft = ladder_draft_create(actor=users["admin"], preset="default", note="same rules")

    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)

    assert run.matrix["legacy_gold"] == {"standard": 1}
    assert run.matrix["vip"] == {"basic": 1}
    assert run.samples["legacy_gold"] == {"standard": [book["east1"].pk]}


@pytest.mark.parametrize("locked", [False, True], ids=["one-key grouping", "two-column grouping"])
def test_customers_without_a_membership_row_count_in_the_lowest_tier(users, book, locked):
    member(book["east1"], "vip", "2500.00", 3)
    member(book["east2"], "basic", "100.00", 1)  # stays basic; "south" has no membership row
    if locked:  # an active override sends the dry run down the exact two-column grouping
        Membership.objects.filter(pk=book["east1"].pk).update(lock_until=TODAY)
    draft = ladder_draft_create(actor=users["admin"], preset="default", note="same rules")

    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)

    assert run.matrix["basic"] == {"basic": 2}
    assert sum(n for row in run.matrix.values() for n in row.values()) == 3
