"""The bulk purchase path writes exactly what the checkout writes, order by order.

The same file goes into the same starting book once through the per-order path (each order
through ``purchase_record``) and once through the bulk path (``imports.bulk_purchases``),
in chunks of a few orders so that state carries from chunk to chunk; every row the two write
must be the same: memberships, points entries with their running balances, lots, growth,
tier changes, messages, customer totals, audit rows, the import's own change rows.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.imports.core_support import store
from tests.imports.purchase_books import (
    batch_counts,
    import_purchases,
    marks,
    purchase_file,
    snapshot,
    starting_book,
    then_rolled_back,
)
from tests.loyalty.conftest import assert_ledger_consistent
from tiercard.accounts.models import User
from tiercard.core.errors import Conflict
from tiercard.imports import bulk_purchases, run
from tiercard.imports.apply_purchases import PurchaseApplier
from tiercard.imports.services import import_commit
from tiercard.imports.undo import import_undo
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase

__all__ = ["store"]

SLOW, BULK = 10**12, 0  # TIERCARD_IMPORT_BULK_FROM_BYTES: never, always


@pytest.fixture(autouse=True)
def _english_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    translation.activate("en")
    monkeypatch.setattr(run, "CHUNK_ROWS", 5)  # several chunks: state carries between them


@pytest.fixture
def book(make_customer: Any, users: dict[str, User]) -> dict[str, Any]:
    return starting_book(make_customer, users)


def _run(
    settings: Any, threshold: int, actor: User, path: Path, book: dict[str, Any], **how: bool
) -> dict[str, Any]:
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = threshold

    def go() -> dict[str, Any]:
        since = marks()
        batch = import_purchases(actor, path)
        if how.get("undo"):
            batch = import_undo(actor=actor, batch_id=batch.pk)
        if how.get("again"):
            batch = import_purchases(actor, path)
        return {"batch": batch_counts(batch), **snapshot(book, since)}

    return then_rolled_back(go)


def test_bulk_path_writes_what_the_checkout_writes(
    settings: Any, store: Path, tmp_path: Path, users: dict[str, User], book: dict[str, Any]
) -> None:
    path = purchase_file(tmp_path, book)
    actor = users["admin"]
    slow = _run(settings, SLOW, actor, path, book)
    fast = _run(settings, BULK, actor, path, book)

    for part in slow:
        assert fast[part] == slow[part], part
    # The file met what it was written to meet (so the comparison covers those cases).
    assert slow["batch"] == {
        "status": "committed",
        "rows": 27,
        "new": 21,
        "unchanged": 2,
        "invalid": 4,
    }
    assert {(row, code) for row, _col, code, _sev in slow["problems"]} == {
        (13, "duplicate_external_ref"),
        (20, "negative_amount"),
        (21, "link_not_found"),
        (23, "duplicate_in_file"),  # a warning: the same content as row 22, recorded once
        (27, "customer_archived"),
    }
    kinds = {(kind, suffix.rsplit(":", 1)[1]) for _c, kind, _p, _b, suffix, *_ in slow["points"]}
    assert {("earn", "earn"), ("reversal", "settle"), ("expire", "expire")} <= kinds
    climbs = [(c[2], c[3]) for c in slow["tier_changes"]]
    assert climbs == [("basic", "standard"), ("standard", "premium"), ("premium", "vip")]
    birthday = {e[4]: e[2] for e in slow["points"] if e[1] == "earn"}
    assert birthday["purchase:SO-13:earn"] == 666  # lunar birthday month: ¥333 × 2
    assert birthday["purchase:SO-7:earn"] == 120  # the month before: no bonus
    assert birthday["purchase:SO-18:earn"] == 900  # solar birthday month: ¥450 × 2
    recovering = next(m for m in slow["memberships"] if m["tier"] == "premium")
    assert recovering["below_since"] is None and not recovering["upgraded"]
    assert len(slow["outbox"]) == len(slow["tier_changes"])


def test_bulk_undo_restores_the_book_as_the_per_order_undo_does(
    settings: Any, store: Path, tmp_path: Path, users: dict[str, User], book: dict[str, Any]
) -> None:
    path = purchase_file(tmp_path, book)
    actor = users["admin"]
    before = then_rolled_back(lambda: snapshot(book, marks()))
    slow = _run(settings, SLOW, actor, path, book, undo=True)
    fast = _run(settings, BULK, actor, path, book, undo=True)

    for part in slow:
        assert fast[part] == slow[part], part
    assert fast["batch"]["status"] == "undone"
    # Every imported purchase returned in full: the customers' totals are back where they were
    # (the first and last purchase times stay, and so does an order of ¥0: nothing to return).
    assert [c["total_spend"] for c in fast["customers"]] == [
        c["total_spend"] for c in before["customers"]
    ]
    for after, start in zip(fast["memberships"], before["memberships"], strict=True):
        assert after["win_spend"] == start["win_spend"]
        assert after["win_orders"] == start["win_orders"]
        assert after["growth_total"] == start["growth_total"]


def test_bulk_rerun_changes_nothing(
    settings: Any, store: Path, tmp_path: Path, users: dict[str, User], book: dict[str, Any]
) -> None:
    path = purchase_file(tmp_path, book)
    actor = users["admin"]
    once = _run(settings, BULK, actor, path, book)
    twice = _run(settings, BULK, actor, path, book, again=True)

    assert twice["batch"] == {
        "status": "committed",
        "rows": 27,
        "new": 0,
        "unchanged": 23,
        "invalid": 4,
    }
    for part in ("memberships", "customers", "purchases", "points", "lots", "growth"):
        assert twice[part] == once[part], part
    assert twice["tier_changes"] == once["tier_changes"]
    assert twice["outbox"] == once["outbox"]


def test_bulk_all_or_nothing_and_dry_run_write_nothing(
    settings: Any, store: Path, tmp_path: Path, users: dict[str, User], book: dict[str, Any]
) -> None:
    path = purchase_file(tmp_path, book)
    actor = users["admin"]
    before = snapshot(book, marks())
    verdicts = {}
    for threshold in (SLOW, BULK):
        settings.TIERCARD_IMPORT_BULK_FROM_BYTES = threshold
        checked = import_purchases(actor, path, dry_run=True)
        verdicts[threshold] = (
            batch_counts(checked),
            sorted((p.row_number, p.column, p.code) for p in checked.problems.all()),
        )
    assert verdicts[BULK] == verdicts[SLOW]  # the check reads the same on both paths
    # As the commit counts them: row 23 repeats row 22 (no order number), recorded once.
    assert (checked.new_count, checked.unchanged_count, checked.invalid_count) == (21, 2, 4)
    with pytest.raises(Conflict) as refused:
        import_commit(actor=actor, batch_id=checked.pk, skip_invalid=False)
    assert refused.value.code == "import_invalid_rows"
    after = snapshot(book, marks())
    assert {k: v for k, v in after.items() if k != "problems"} == {
        k: v for k, v in before.items() if k != "problems"
    }
    assert Purchase.objects.count() == 2  # the two recorded at the till


def test_bulk_columns_cover_every_column_of_their_tables() -> None:
    for model, columns in bulk_purchases.WRITTEN.items():
        expected = {f.attname for f in model._meta.concrete_fields if not f.primary_key}
        assert set(columns) == expected, model


def test_order_taken_meanwhile_sends_the_chunk_through_the_checkout(
    settings: Any,
    store: Path,
    tmp_path: Path,
    users: dict[str, User],
    book: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A till records one of the chunk's order numbers after the chunk's replays were looked
    up: the unique reference refuses the bulk insert, the chunk's savepoint is rolled back
    and its orders go through the checkout, where that order replays."""
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = BULK
    path = purchase_file(tmp_path, book)
    actor = users["admin"]
    checked = import_purchases(actor, path, dry_run=True)
    prepare = PurchaseApplier.prepare

    def prepare_then_till(self: PurchaseApplier, units: Any) -> None:
        prepare(self, units)
        if any(unit[0].values.get("order_no") == "SO-8" for unit in units):
            purchase_record(
                actor=actor,
                customer_id=book["cards"]["climber"].pk,
                data={
                    "external_ref": "SO-8",
                    "occurred_at": units[0][0].values["occurred_at"].isoformat(),
                    "lines": [{"item_name": "茶", "unit_price": "3000"}],
                },
            )

    monkeypatch.setattr(PurchaseApplier, "prepare", prepare_then_till)
    batch = import_commit(actor=actor, batch_id=checked.pk, skip_invalid=True)

    assert (batch.new_count, batch.unchanged_count, batch.invalid_count) == (20, 3, 4)
    assert Purchase.objects.filter(external_ref="SO-8").count() == 1
    for card in book["cards"].values():
        assert_ledger_consistent(card.pk)


def test_a_points_campaign_counts_alike_on_both_paths(
    settings: Any, store: Path, tmp_path: Path, users: dict[str, User], book: dict[str, Any]
) -> None:
    """×3 for premium and VIP customers 25 to 10 days ago: the climber's ¥12,000 order that
    makes it VIP earns the bonus at the VIP multiplier; the basic customer's order in the same
    days earns none."""
    import datetime as dt

    from tests.loyalty.conftest import activate_points_rules
    from tiercard.core.timeutils import business_today
    from tiercard.loyalty.services.state import active_programme
    from tiercard.tiers.campaigns import Campaign

    today = business_today()
    activate_points_rules(
        campaigns=(
            Campaign(
                name="会员周",
                starts=today - dt.timedelta(days=25),
                ends=today - dt.timedelta(days=10),
                multiplier=Decimal("3"),
                tiers=("premium", "vip"),
            ),
        )
    )
    vip = active_programme().programme.benefits_of("vip").points_multiplier
    path = purchase_file(tmp_path, book)
    slow = _run(settings, SLOW, users["admin"], path, book)
    fast = _run(settings, BULK, users["admin"], path, book)

    for part in slow:
        assert fast[part] == slow[part], part
    earned = {e[4]: e[2] for e in slow["points"] if e[1] == "earn"}
    assert earned["purchase:SO-14:earn"] == int(12000 * vip * 3)
    assert earned["purchase:SO-11:earn"] == 50  # the owing customer holds the lowest tier
