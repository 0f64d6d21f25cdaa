"""A rule change beside live writers: a purchase, a return, a nightly roll or a review chunk
that waited for it works under the new rules, never under the ones it replaced."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.loyalty.test_checkout import assert_rebuild_agrees
from tests.loyalty.threads_support import in_threads
from tests.loyalty.tiers_support import member
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import ChangeReason, GrowthEntry, Membership, TierChange
from tiercard.loyalty.services import ladders
from tiercard.loyalty.services.checkout import purchase_record, purchase_return
from tiercard.loyalty.services.grading import tiers_review
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_roll
from tiercard.tiers.programme import default_programme, dump_programme

pytestmark = pytest.mark.django_db(transaction=True)


def easy_rules() -> dict:
    """The default programme with standard reached by 100.00 of spend alone."""
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][1]["criteria"] = {"metric": "spend", "op": ">=", "threshold": "100"}
    return rules


def tea(price: str, *, at: str | None = None) -> dict:
    data: dict = {"lines": [{"item_name": "茶", "unit_price": price}]}
    if at is not None:
        data["occurred_at"] = f"{at}T10:00"
    return data


def beside_a_rule_change(
    monkeypatch: pytest.MonkeyPatch, admin: object, version: int, write: Callable[[], object]
) -> tuple[Any, Any]:
    """Apply ``version`` in one thread, held between moving the customers and its commit; once
    it is there, run ``write`` in another. A writer that waits for the change (it holds the
    window row) cannot finish meanwhile, so the hold runs out after 1.5 s and the change
    commits first. Returns the change's report and what ``write`` returned."""
    reached, wrote = threading.Event(), threading.Event()
    refresh = ladders.customer_tiers_refresh

    def refresh_then_wait(**kwargs: str) -> None:
        refresh(**kwargs)
        reached.set()
        wrote.wait(timeout=1.5)

    monkeypatch.setattr(ladders, "customer_tiers_refresh", refresh_then_wait)

    def act(i: int) -> object:
        if i == 0:
            return ladder_apply(actor=admin, version=version, today=business_today())
        assert reached.wait(timeout=10)
        written = write()
        wrote.set()
        return written

    done, failed = in_threads(2, act, workers=2)
    assert not failed, failed
    return done[0], done[1]


def test_a_purchase_during_a_rule_change_grades_under_the_new_ladder(users, book, monkeypatch):
    """The purchase starts while the rule change is between moving the customers and its
    commit. Had it read the old ladder (2,000.00 and two orders for standard), its 130.00 would
    leave the customer at basic although the new ladder (100.00) says standard, and nothing
    would correct it before the customer's next purchase. The rule change holds the window row
    for update, so the purchase waits, then reads the ladder the change made active."""
    admin, rep, customer = users["admin"], users["rep_east1"], book["east1"]
    purchase_record(actor=rep, customer_id=customer.pk, data=tea("50.00"))
    draft = ladder_draft_create(actor=admin, rules=easy_rules(), note="标准级门槛降低")

    applied, recorded = beside_a_rule_change(
        monkeypatch,
        admin,
        draft.version,
        lambda: purchase_record(actor=rep, customer_id=customer.pk, data=tea("80.00")),
    )

    assert applied.changed == 0  # 50.00 was basic under both ladders: the change moved no one
    row = Membership.objects.get(pk=customer.pk)
    assert (row.tier, row.ladder_version) == ("standard", draft.version)
    upgrade = TierChange.objects.get(customer_id=customer.pk, reason=ChangeReason.AUTO_UPGRADE)
    assert (upgrade.from_tier, upgrade.to_tier) == ("basic", "standard")
    assert upgrade.ladder_version == draft.version
    assert upgrade.purchase_id == recorded.purchase.pk


def test_a_return_during_a_rule_change_is_written_under_the_new_version(users, book, monkeypatch):
    """The growth value a return takes back names the version it was taken under: the one the
    change made active, since the return waited for it."""
    admin, rep, customer = users["admin"], users["rep_east1"], book["east1"]
    bought = purchase_record(actor=rep, customer_id=customer.pk, data=tea("100.00")).purchase
    draft = ladder_draft_create(actor=admin, rules=easy_rules(), note="标准级门槛降低")

    _applied, returned = beside_a_rule_change(
        monkeypatch,
        admin,
        draft.version,
        lambda: purchase_return(actor=rep, purchase_id=bought.pk, data={"amount": "40.00"}),
    )

    taken = GrowthEntry.objects.get(key=f"return:{returned.purchase_return.pk}:growth")
    assert (taken.amount, taken.ladder_version) == (-40, draft.version)
    assert Membership.objects.get(pk=customer.pk).win_spend == Decimal("60.00")


def test_a_nightly_roll_during_a_rule_change_rolls_the_new_window(users, book, monkeypatch):
    """The rule change widens the window to 24 months and rebuilds the figures; the roll for
    tomorrow, started meanwhile, waits for it. Rolling the old 12-month window then would
    subtract the purchase of 400 days ago, which the new window counts."""
    admin, rep, customer = users["admin"], users["rep_east1"], book["east1"]
    today = business_today()
    old_day = (today - dt.timedelta(days=400)).isoformat()
    purchase_record(actor=rep, customer_id=customer.pk, data=tea("300.00", at=old_day))
    purchase_record(actor=rep, customer_id=customer.pk, data=tea("50.00"))
    rules = dump_programme(default_programme())
    rules["window"] = {"kind": "rolling", "months": 24}
    draft = ladder_draft_create(actor=admin, rules=rules, note="窗口改为 24 个月")
    caller_view = active_programme()  # read before the change commits, as the job does

    applied, rolled = beside_a_rule_change(
        monkeypatch,
        admin,
        draft.version,
        lambda: window_roll(caller_view, today + dt.timedelta(days=1)),
    )

    assert applied.window_rebuilt and rolled.rows == 0  # nothing 24 months old to drop
    row = Membership.objects.get(pk=customer.pk)
    assert (row.win_spend, row.win_orders) == (Decimal("350.00"), 2)
    assert_rebuild_agrees(today + dt.timedelta(days=1))


def test_a_review_chunk_during_a_rule_change_grades_under_the_new_ladder(users, book, monkeypatch):
    """Standard rises to 3,000.00: the change moves the customer (2,500.00, two orders) down
    to basic. The review, started meanwhile with the old ladder read, waits for the change at
    its chunk; grading that chunk under the old ladder would move the customer straight back
    up to standard."""
    admin, customer = users["admin"], book["east1"]
    active_programme()  # installs the default programme (a flushed database has none)
    member(customer, "standard", spend="2500.00", orders=2, marked=True)
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] = "3000.00"
    draft = ladder_draft_create(actor=admin, rules=rules, note="标准级门槛提高")

    applied, report = beside_a_rule_change(
        monkeypatch, admin, draft.version, lambda: tiers_review(today=business_today())
    )

    assert applied.changed == 1 and report.candidates == 1
    assert (report.upgraded, report.downgraded) == (0, 0)
    assert Membership.objects.get(pk=customer.pk).tier == "basic"
    reasons = TierChange.objects.filter(customer_id=customer.pk).values_list("reason", flat=True)
    assert list(reasons) == [ChangeReason.RULE_CHANGE]
