"""The daily review: grace, protection, locks, landing, warnings once, idempotent, recency."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.loyalty.tiers_support import TODAY, activate, customers, marked, member
from tiercard.loyalty.models import ChangeReason, Membership, TierChange
from tiercard.loyalty.services.grading import candidate_ids, tiers_review
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.tier_sql import day_start
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.tiers.policy import DowngradePolicy, Landing
from tiercard.tiers.programme import default_programme
from tiercard.tiers.window import add_months

pytestmark = pytest.mark.django_db

PREMIUM = {"spend": "9000.00", "orders": 5}  # premium also needs a purchase within 180 days


def use_policy(protected=0, grace=0, landing=Landing.ONE_STEP, warning_days=0):
    activate(
        dataclasses.replace(
            default_programme(),
            policy=DowngradePolicy(protected, grace, landing),
            warning_days=warning_days,
        )
    )


def row(pk):
    return Membership.objects.get(pk=pk)


def test_a_due_row_that_qualifies_higher_is_upgraded_with_history(users, book):
    use_policy()
    m = member(book["east1"], "basic", spend="2500.00", orders=3, last=TODAY, marked=True)
    report = tiers_review(today=TODAY)
    assert (report.candidates, report.upgraded) == (1, 1)
    m = row(m.pk)
    assert m.tier == "standard" and not marked(m.pk) and m.upgraded_at is not None
    change = TierChange.objects.get()
    assert (change.from_tier, change.to_tier, change.reason) == (
        "basic",
        "standard",
        ChangeReason.REVIEW_UPGRADE,
    )
    assert change.effective_on == TODAY and change.ladder_version == 2
    assert change.metrics == {
        "spend": "2500.00",
        "order_count": 3,
        "growth_value": 0,
        "max_order": "0.00",
        "days_since_last_purchase": 0,
    }
    message = OutboxMessage.objects.get()
    assert message.key == f"tier_upgrade:{change.pk}" and message.kind == MessageKind.TIER_UPGRADE


def test_grace_then_one_step_down_then_a_new_grace(users, book):
    use_policy(grace=1)
    m = member(book["east1"], "vip", marked=True)
    tiers_review(today=TODAY)
    assert (row(m.pk).tier, row(m.pk).below_since) == ("vip", TODAY)
    day_before = add_months(TODAY, 1) - dt.timedelta(days=1)
    tiers_review(today=day_before)
    assert row(m.pk).tier == "vip" and not TierChange.objects.exists()

    report = tiers_review(today=add_months(TODAY, 1))
    assert report.downgraded == 1
    m = row(m.pk)
    assert m.tier == "premium" and m.below_since == add_months(TODAY, 1)
    change = TierChange.objects.get()
    assert (change.from_tier, change.to_tier, change.reason) == (
        "vip",
        "premium",
        ChangeReason.REVIEW_DOWNGRADE,
    )
    message = OutboxMessage.objects.get(kind=MessageKind.TIER_DOWNGRADE)
    assert message.key == f"tier_downgrade:{change.pk}"
    tiers_review(today=add_months(TODAY, 2))
    assert row(m.pk).tier == "standard"


def test_protection_after_an_upgrade_holds_whole_months(users, book):
    use_policy(protected=3)
    upgraded = dt.date(2026, 3, 31)
    m = member(book["east1"], "standard", upgraded_at=day_start(upgraded), marked=True)
    tiers_review(today=dt.date(2026, 6, 29))  # 2 whole months and 29 days
    assert row(m.pk).tier == "standard" and row(m.pk).below_since == dt.date(2026, 6, 29)
    tiers_review(today=dt.date(2026, 6, 30))  # Mar 31 + 3 months clamps to Jun 30
    assert row(m.pk).tier == "basic"


def test_a_lock_holds_until_it_expires_then_its_override_is_cleared(users, book):
    use_policy()
    m = member(
        book["east1"],
        "vip",
        lock_until=TODAY,
        override_reason="大客户保级",
        override_by=users["mgr_east"],
        override_approved_by=users["mgr_east"],
    )
    tiers_review(today=TODAY)  # locked through today: candidate only once below
    m = row(m.pk)
    assert m.tier == "vip" and m.lock_until == TODAY

    report = tiers_review(today=TODAY + dt.timedelta(days=1))
    assert (report.locks_expired, report.downgraded) == (1, 1)
    m = row(m.pk)
    assert m.tier == "premium" and m.lock_until is None
    assert m.override_reason == "" and m.override_by is None and m.override_approved_by is None


@pytest.mark.parametrize(
    ("landing", "expected"), [(Landing.ONE_STEP, "premium"), (Landing.QUALIFIED, "standard")]
)
def test_landing_one_step_or_to_the_qualified_tier(users, book, landing, expected):
    use_policy(landing=landing)
    m = member(book["east1"], "vip", spend="2500.00", orders=2, last=TODAY, marked=True)
    tiers_review(today=TODAY)
    m = row(m.pk)
    assert m.tier == expected
    assert m.below_since == (TODAY if expected == "premium" else None)


def test_the_warning_is_sent_once_for_its_planned_date(users, book):
    use_policy(grace=1, warning_days=14)
    below_since = add_months(TODAY, -1) + dt.timedelta(days=10)
    planned = add_months(below_since, 1)
    assert TODAY < planned <= TODAY + dt.timedelta(days=14)
    m = member(book["east1"], "premium", below_since=below_since)
    far = member(book["east2"], "premium", below_since=TODAY - dt.timedelta(days=5))

    assert tiers_review(today=TODAY).warned == 1
    message = OutboxMessage.objects.get()
    assert message.kind == MessageKind.DOWNGRADE_WARNING
    assert message.key == f"downgrade_warning:{m.pk}:{planned.isoformat()}"
    assert message.payload == {
        "tier": "premium",
        "to_tier": "standard",
        "planned_on": planned.isoformat(),
        "ladder_version": 2,
    }
    assert row(m.pk).warned_for == planned and row(far.pk).warned_for is None
    assert tiers_review(today=TODAY).warned == 0
    assert tiers_review(today=TODAY + dt.timedelta(days=1)).warned == 0
    assert OutboxMessage.objects.count() == 1
    tiers_review(today=planned)
    assert row(m.pk).tier == "standard" and row(m.pk).warned_for is None


def test_no_warning_while_locked_past_the_horizon(users, book):
    use_policy(warning_days=14)
    member(book["east1"], "premium", below_since=TODAY, lock_until=TODAY + dt.timedelta(days=30))
    assert tiers_review(today=TODAY).warned == 0
    assert not OutboxMessage.objects.exists()


def snapshot():
    rows = list(Membership.objects.order_by("pk").values())
    return rows, TierChange.objects.count(), OutboxMessage.objects.count()


@pytest.mark.parametrize("grace", [0, 1])
def test_a_second_run_the_same_day_changes_nothing(users, grace):
    use_policy(grace=grace, warning_days=14)
    people = customers(users["rep_east1"], 6)
    member(people[0], "basic", spend="2500.00", orders=3, last=TODAY, marked=True)
    member(people[1], "vip", marked=True)
    member(people[2], "premium", below_since=add_months(TODAY, -1) + dt.timedelta(days=3))
    member(people[3], "vip", below_since=add_months(TODAY, -2))
    member(people[4], "standard", lock_until=TODAY - dt.timedelta(days=1))
    member(people[5], "standard", spend="3000.00", orders=2, below_since=TODAY, warned_for=TODAY)
    first = tiers_review(today=TODAY)
    assert first.changed
    before = snapshot()
    again = tiers_review(today=TODAY)
    assert (again.upgraded, again.downgraded, again.warned, again.locks_expired) == (0, 0, 0, 0)
    assert snapshot() == before


def test_rows_whose_recency_lapses_today_are_candidates(users, book, make_customer):
    use_policy()
    lapsing = member(book["east1"], "premium", last=TODAY - dt.timedelta(days=181), **PREMIUM)
    still = member(book["east2"], "premium", last=TODAY - dt.timedelta(days=180), **PREMIUM)
    long_gone = member(book["south"], "premium", last=TODAY - dt.timedelta(days=200), **PREMIUM)
    # VIP's recency is 90 days: a VIP row lapsing today is a candidate as well.
    vip = member(
        make_customer(name="赵六"),
        "vip",
        spend="25000.00",
        orders=9,
        last=TODAY - dt.timedelta(days=91),
    )
    assert candidate_ids(active_programme(), TODAY) == sorted([lapsing.pk, vip.pk])
    tiers_review(today=TODAY)
    assert row(lapsing.pk).tier == "standard"  # no protection, no grace in this policy
    assert row(vip.pk).tier == "premium"
    assert row(still.pk).tier == "premium"
    assert row(long_gone.pk).tier == "premium"  # missed day: only a full review catches it
    tiers_review(today=TODAY, full=True)
    assert row(long_gone.pk).tier == "standard"


def test_rows_early_in_their_grace_are_not_read_every_night(users, book, make_customer):
    use_policy(grace=2, warning_days=14)
    # Due for a warning or a downgrade by today only if below_since <= today + 14 - 56 days.
    cutoff = TODAY - dt.timedelta(days=42)
    early = member(book["east1"], "premium", below_since=cutoff + dt.timedelta(days=1))
    near = member(book["east2"], "premium", below_since=cutoff)
    due = member(book["south"], "premium", below_since=add_months(TODAY, -2))
    assert candidate_ids(active_programme(), TODAY) == sorted([near.pk, due.pk])
    report = tiers_review(today=TODAY)
    assert report.downgraded == 1 and row(due.pk).tier == "standard"
    assert row(early.pk).below_since == cutoff + dt.timedelta(days=1)  # untouched, still graced
    # Every day until its warning horizon the early row stays out; then it is read again.
    planned = add_months(cutoff + dt.timedelta(days=1), 2)
    warn_day = planned - dt.timedelta(days=14)
    first_read = cutoff + dt.timedelta(days=43)  # 56 - 14 days after it fell below
    assert first_read <= warn_day
    assert early.pk not in candidate_ids(active_programme(), first_read - dt.timedelta(days=1))
    assert early.pk in candidate_ids(active_programme(), first_read)
    assert tiers_review(today=warn_day).warned >= 1
    assert row(early.pk).warned_for == planned


def test_a_purchase_that_qualifies_again_ends_the_grace_at_once(users, book):
    from decimal import Decimal

    from tiercard.loyalty.services.checkout import purchase_record

    use_policy(grace=2, warning_days=14)
    m = member(
        book["east1"],
        "standard",
        spend="100.00",
        orders=1,
        last=TODAY,
        below_since=TODAY - dt.timedelta(days=20),
        warned_for=TODAY + dt.timedelta(days=30),
    )

    def buy(amount: str) -> Membership:
        purchase_record(
            actor=users["rep_east1"],
            customer_id=book["east1"].pk,
            data={"lines": [{"item_name": "茶", "unit_price": amount}]},
        )
        return row(m.pk)

    first = buy("1000.00")  # standard needs ¥2,000 and 2 orders: still below, still graced
    assert first.below_since == TODAY - dt.timedelta(days=20) and first.warned_for is not None
    after = buy("1500.00")
    assert after.tier == "standard" and after.win_spend == Decimal("2500.00")
    assert after.below_since is None and after.warned_for is None


def test_the_review_deletes_the_marks_it_reviewed_and_rewrites_no_row_it_leaves(users, book):
    """A mark is its own small row: reviewing a marked member whose tier holds deletes the mark
    and leaves the membership row as it was (on PostgreSQL: the same row version)."""
    use_policy()
    kept = member(book["east1"], "standard", spend="2500.00", orders=3, last=TODAY, marked=True)
    other = member(book["east2"], "basic")
    before = (Membership.objects.filter(pk=kept.pk).values().get(), _version(kept.pk))
    report = tiers_review(today=TODAY)
    assert (report.candidates, report.upgraded, report.fell_below) == (1, 0, 0)
    assert not marked(kept.pk) and not marked(other.pk)
    assert (Membership.objects.filter(pk=kept.pk).values().get(), _version(kept.pk)) == before
    assert tiers_review(today=TODAY).candidates == 0  # nothing marked any more


def test_candidates_that_keep_their_tier_are_read_once_and_no_step_runs(users, book):
    """The chunk's rows are narrowed to those some step may change before any step runs: a
    night whose candidates all keep their tier reads them once and sends no step's statement."""
    use_policy(grace=1)
    kept = [
        member(book["east1"], "standard", spend="2500.00", orders=3, last=TODAY, marked=True),
        member(book["east2"], "basic", marked=True),
    ]
    before = list(Membership.objects.order_by("pk").values())
    with CaptureQueriesContext(connection) as seen:
        report = tiers_review(today=TODAY)
    assert report.candidates == 2 and not report.changed
    membership = [q["sql"] for q in seen.captured_queries if "loyalty_membership" in q["sql"]]
    chunk = ",".join(str(pk) for pk in sorted(m.pk for m in kept))
    listed = (f"IN ({chunk})", f"ANY('{{{chunk}}}'")  # SQLite, PostgreSQL (``tier_sql.ids_in``)
    reads_of_chunk = [sql for sql in membership if any(form in sql for form in listed)]
    assert len(reads_of_chunk) == 1, membership  # the narrowing read, nothing after it
    writes = [q["sql"] for q in seen.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert not [sql for sql in writes if "loyalty_membership" in sql or "loyalty_tierchange" in sql]
    assert list(Membership.objects.order_by("pk").values()) == before
    assert not marked(kept[0].pk) and not marked(kept[1].pk)


def test_the_narrowed_chunk_still_reviews_the_rows_that_act(users, book):
    """Beside rows that keep their tier, a row below its tier falls below and a row over its
    tier goes up in the same chunk."""
    use_policy(grace=1)
    keeps = member(book["east1"], "standard", spend="2500.00", orders=3, last=TODAY, marked=True)
    falls = member(book["east2"], "standard", spend="100.00", orders=1, last=TODAY, marked=True)
    rises = member(book["south"], "basic", spend="2500.00", orders=3, last=TODAY, marked=True)
    report = tiers_review(today=TODAY)
    assert (report.candidates, report.fell_below, report.upgraded) == (3, 1, 1)
    assert (row(keeps.pk).below_since, row(falls.pk).below_since) == (None, TODAY)
    assert (row(keeps.pk).tier, row(falls.pk).tier, row(rises.pk).tier) == (
        "standard",
        "standard",
        "standard",
    )
    assert TierChange.objects.get(customer_id=rises.pk).reason == ChangeReason.REVIEW_UPGRADE


def _version(pk: int) -> object:
    """Where the row version lives (PostgreSQL's ``ctid``: any UPDATE moves it); None on
    SQLite, which updates in place."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT ctid::text FROM loyalty_membership WHERE customer_id = %s", [pk])
        return cur.fetchone()[0]
