"""A draft that counts over another window: asked to be exact, the dry run rebuilds the
figures over the new window (rolled back) so its matrix is exactly what the apply then does;
it writes nothing either way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tiercard.loyalty.models import Membership, TierChange, WindowState
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create, ladder_dry_run
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.programme import dump_programme
from tiercard.tiers.window import Window, WindowKind

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 15)


def _buy(users, customer, price: str, at: dt.date, ref: str) -> None:
    data = {
        "external_ref": ref,
        "occurred_at": f"{at.isoformat()}T10:00",
        "lines": [{"item_name": "茶", "unit_price": price}],
    }
    purchase_record(actor=users["admin"], customer_id=customer.pk, data=data)


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_the_dry_run_over_a_longer_window_matches_the_apply(users, book):
    # Bought 16 and 18 months ago: outside the 12-month window, inside a 24-month one.
    old = TODAY - dt.timedelta(days=480)
    for i, who in enumerate(("east1", "east2")):
        _buy(users, book[who], "1500", old, f"o{i}a")
        _buy(users, book[who], "1500", old - dt.timedelta(days=60), f"o{i}b")
    _buy(users, book["south"], "300", TODAY - dt.timedelta(days=3), "recent")
    active = active_programme()
    longer = dataclasses.replace(active.programme, window=Window(WindowKind.ROLLING, months=24))
    draft = ladder_draft_create(actor=users["admin"], rules=dump_programme(longer), note="两年")
    figures = list(Membership.objects.order_by("pk").values())
    window = list(WindowState.objects.values())

    estimate = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)
    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY, exact=True)

    assert estimate.window_changed and not estimate.exact  # today's figures: they stay basic
    assert ("basic", "standard") not in {
        (o, n) for o, row in estimate.matrix.items() for n in row if o != n
    }
    assert run.window_changed and run.exact
    assert list(Membership.objects.order_by("pk").values()) == figures  # rolled back
    assert list(WindowState.objects.values()) == window
    predicted = Counter(
        {
            (old_tier, new): n
            for old_tier, row in run.matrix.items()
            for new, n in row.items()
            if old_tier != new
        }
    )
    assert predicted[("basic", "standard")] == 2  # only the new window sees their ¥3,000

    ladder_apply(actor=users["admin"], version=draft.version, today=TODAY)

    moved = Counter(
        (c.from_tier, c.to_tier)
        for c in TierChange.objects.filter(effective_on=TODAY, reason="rule_change")
    )
    assert moved == predicted
