"""A purchase file and its starting book for comparing the per-order and the bulk import paths,
and a snapshot of everything a purchase import writes, free of row ids and clock times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from lunardate import LunarDate

from tests.imports.core_support import write_csv
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_archive
from tiercard.imports.models import ImportBatch, ImportChange, ImportProblem
from tiercard.loyalty.models import (
    GrowthEntry,
    Membership,
    PointsAllocation,
    PointsEntry,
    PointsLot,
    TierChange,
)
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.outbox.models import OutboxMessage
from tiercard.sales.models import Purchase, PurchaseLine, PurchaseReturn

HEADER = ["订单号", "手机", "下单时间", "商品", "数量", "单价", "实付金额"]
PHONES = {
    "climber": "13800000001",
    "lunar": "13800000002",
    "solar": "13800000003",
    "owing": "13800000004",
    "recovering": "13800000005",
    "replayed": "13800000006",
    "plain": "13800000007",
    "archived": "13800000008",
}


def _not_leap(day: dt.date) -> dt.date:
    while LunarDate.from_solar_date(day.year, day.month, day.day).is_leap_month:
        day -= dt.timedelta(days=30)
    return day


def starting_book(make_customer: Callable[..., Customer], users: dict[str, User]) -> dict[str, Any]:
    """Eight customers with what the file's orders will meet: a solar and a lunar birthday in
    the month of one of their purchases, points owed from an earlier return, a tier held
    while below it (grace), an archived card, and two orders recorded at the till before the
    import."""
    today = business_today()
    lunar_day = _not_leap(today - dt.timedelta(days=20))
    lunar = LunarDate.from_solar_date(lunar_day.year, lunar_day.month, lunar_day.day)
    solar_day = today - dt.timedelta(days=5)
    cards = {
        "climber": make_customer("rep_east1", name="张一", phones=PHONES["climber"]),
        "lunar": make_customer(
            "rep_east1",
            name="李二",
            phones=PHONES["lunar"],
            birthday_calendar="lunar",
            lunar_birth_month=lunar.month,
            lunar_birth_day=lunar.day,
        ),
        "solar": make_customer(
            "rep_east2",
            name="王三",
            phones=PHONES["solar"],
            birthday=dt.date(1990, solar_day.month, min(solar_day.day, 28)).isoformat(),
        ),
        "owing": make_customer("rep_east1", name="赵四", phones=PHONES["owing"]),
        "recovering": make_customer("rep_south", name="钱五", phones=PHONES["recovering"]),
        "replayed": make_customer("rep_east1", name="孙六", phones=PHONES["replayed"]),
        "plain": make_customer("rep_east1", name="周七", phones=PHONES["plain"]),
        "archived": make_customer("rep_east1", name="吴八", phones=PHONES["archived"]),
    }
    customer_archive(actor=users["admin"], customer_id=cards["archived"].pk, reason="closed")
    for ref, total in (("SO-R1", "100.00"), ("SO-R2", "50.00")):
        purchase_record(
            actor=users["admin"],
            customer_id=cards["replayed"].pk,
            data={
                "external_ref": ref,
                "occurred_at": (today - dt.timedelta(days=30)).isoformat(),
                "lines": [{"item_name": "茶", "unit_price": total}],
            },
        )
    Membership.objects.filter(pk=cards["owing"].pk).update(points_owed=30)
    Membership.objects.filter(pk=cards["recovering"].pk).update(
        tier="premium", below_since=today - dt.timedelta(days=10)
    )
    return {"cards": cards, "lunar_day": lunar_day, "solar_day": solar_day}


def purchase_file(folder: Path, book: dict[str, Any]) -> Path:
    """Orders of all eight interleaved in time order, as a till export would list them."""
    today = business_today()

    def at(days: int, hour: int = 10) -> str:
        return f"{today - dt.timedelta(days=days):%Y-%m-%d} {hour:02d}:00"

    lunar = (today - book["lunar_day"]).days
    solar = (today - book["solar_day"]).days
    p = PHONES
    rows: list[list[str]] = [
        HEADER,
        ["SO-1", p["climber"], at(800), "茶", "1", "", "300"],  # lot expired at once
        ["SO-2", p["climber"], at(400), "茶", "1", "", "5000"],  # before the window
        ["SO-3", p["owing"], at(90), "茶", "1", "", "20"],  # settles 20 of the 30 owed
        ["SO-4", p["climber"], at(60), "茶", "2", "750", ""],
        ["SO-4", p["climber"], at(60), "茶具", "1", "", "0"],  # a line of nothing
        ["SO-5", p["climber"], at(50), "茶", "1", "", "800"],  # -> standard
        ["SO-6", p["recovering"], at(45), "茶", "1", "", "2100"],
        ["SO-7", p["lunar"], at(lunar + 40), "茶", "1", "", "120"],
        ["SO-8", p["climber"], at(40), "茶", "1", "", "3000"],
        ["SO-9", p["recovering"], at(35), "茶", "1", "", "2100"],
        ["SO-R1", p["replayed"], at(30), "茶", "1", "", "100"],  # recorded before: unchanged
        ["SO-R2", p["replayed"], at(30), "茶", "1", "", "70"],  # another total: refused
        ["SO-10", p["climber"], at(30), "茶", "1", "", "3000"],  # -> premium
        ["SO-11", p["owing"], at(25), "茶", "1", "", "50"],  # settles the last 10
        ["SO-12", p["recovering"], at(25), "茶", "1", "", "2100"],
        ["SO-13", p["lunar"], at(lunar), "茶", "1", "", "333"],  # lunar birthday month
        ["SO-14", p["climber"], at(20), "礼盒", "1", "", "12000"],  # -> vip
        ["SO-15", p["recovering"], at(15), "茶", "1", "", "2100"],  # premium again: recovered
        ["SO-16", p["climber"], at(12), "茶", "1", "", "-5"],  # invalid
        ["SO-17", "13000000000", at(11), "茶", "1", "", "10"],  # nobody has this phone
        ["", p["plain"], at(10), "茶点", "1", "", "26.5"],  # no order number
        ["", p["plain"], at(10), "茶点", "1", "", "26.5"],  # the same again: recorded once
        ["SO-18", p["solar"], at(solar), "茶", "3", "", "450"],  # birthday month
        ["SO-19", p["solar"], at(solar), "茶", "1", "", "0"],  # nothing paid
        ["SO-20", p["plain"], at(3), "茶", "1", "", "88"],
        ["SO-22", p["archived"], at(3), "茶", "1", "", "66"],  # a closed card: refused
        ["SO-21", p["climber"], at(2), "茶", "1", "", "10"],
    ]
    return write_csv(folder, rows, name="purchases.csv")


def _ref_of() -> dict[int, str]:
    return dict(Purchase.objects.values_list("pk", "external_ref"))


def _key(key: str, refs: dict[int, str]) -> str:
    """An entry key with the purchase (or return) id replaced by its reference."""
    parts = key.split(":")
    if parts[0] == "purchase" and len(parts) == 3:
        parts[1] = refs[int(parts[1])]
    elif parts[0] == "return":
        parts[1] = _return_refs().get(int(parts[1]), parts[1])
    return ":".join(parts)


def _return_refs() -> dict[int, str]:
    return dict(PurchaseReturn.objects.values_list("pk", "purchase__external_ref"))


def snapshot(book: dict[str, Any], since: dict[str, int]) -> dict[str, Any]:
    """Everything an import can write, comparable across databases and runs: purchases by
    reference, entries by key, rows created after ``since`` (ids per table) in id order."""
    ids = [c.pk for c in book["cards"].values()]
    refs = _ref_of()
    entry_key = {pk: _key(key, refs) for pk, key in PointsEntry.objects.values_list("pk", "key")}
    change_ref = {pk: refs.get(p) for pk, p in TierChange.objects.values_list("pk", "purchase_id")}
    skip = {"updated_at", "tier_since", "upgraded_at"}
    memberships = [
        {f.attname: getattr(row, f.attname) for f in Membership._meta.concrete_fields}
        | {"upgraded": row.upgraded_at is not None}
        for row in Membership.objects.filter(pk__in=ids).order_by("pk")
    ]
    for row in memberships:
        for name in skip:
            row.pop(name)
    return {
        "memberships": memberships,
        "customers": list(
            Customer.objects.filter(pk__in=ids)
            .order_by("pk")
            .values(
                "pk", "order_count", "total_spend", "first_purchase_at", "last_purchase_at", "tier"
            )
        ),
        "purchases": sorted(
            (
                refs[p.pk],
                p.customer_id,
                p.occurred_at,
                p.subtotal,
                p.discount,
                p.total,
                p.returned_amount,
                p.channel,
                p.payment_method,
                p.store,
                p.note,
                p.sales_rep_id,
                p.created_by_id,
                tuple(
                    PurchaseLine.objects.filter(purchase=p)
                    .order_by("pk")
                    .values_list("sku", "item_name", "quantity", "unit_price", "discount", "amount")
                ),
            )
            for p in Purchase.objects.all()
        ),
        "points": [
            (
                e.customer_id,
                e.kind,
                e.points,
                e.balance_after,
                entry_key[e.pk],
                e.ladder_version,
                e.actor_id,
                e.note,
                entry_key.get(e.reverses_id or 0),
                refs.get(e.purchase_id or 0),
            )
            for e in PointsEntry.objects.filter(customer_id__in=ids).order_by("pk")
        ],
        "lots": sorted(
            (
                entry_key[lot.entry_id],
                lot.customer_id,
                lot.points,
                lot.remaining,
                lot.earned_on,
                lot.expires_on,
            )
            for lot in PointsLot.objects.filter(customer_id__in=ids)
        ),
        "allocations": sorted(
            (entry_key[a.entry_id], entry_key[a.lot.entry_id], a.points)
            for a in PointsAllocation.objects.select_related("lot")
        ),
        "growth": [
            (
                g.customer_id,
                g.occurred_on,
                g.amount,
                g.kind,
                _key(g.key, refs),
                refs.get(g.purchase_id or 0),
                g.ladder_version,
                g.actor_id,
                g.note,
            )
            for g in GrowthEntry.objects.filter(customer_id__in=ids).order_by("pk")
        ],
        "tier_changes": [
            (
                c.customer_id,
                c.effective_on,
                c.from_tier,
                c.to_tier,
                c.reason,
                c.ladder_version,
                c.metrics,
                refs.get(c.purchase_id or 0),
                c.actor_id,
                c.note,
            )
            for c in TierChange.objects.filter(customer_id__in=ids).order_by("pk")
        ],
        "outbox": [
            (
                m.kind,
                m.customer_id,
                m.status,
                change_ref[int(m.key.split(":")[1])],
                {**m.payload, "change": None},
            )
            for m in OutboxMessage.objects.filter(pk__gt=since["outbox"]).order_by("pk")
        ],
        "audit": [
            (
                a.action,
                a.object_type,
                a.actor_id,
                a.actor_label,
                a.interface,
                a.customer_id,
                refs[int(a.object_id)] if a.object_type == "sales.purchase" else a.object_type,
                {k: refs.get(v, v) if k == "purchase" else v for k, v in a.changes.items()},
                a.note,
            )
            for a in AuditEvent.objects.filter(pk__gt=since["audit"]).order_by("pk")
            if a.object_type != "imports.importbatch"
        ],
        "import_changes": [
            (c.row_number, c.model, refs[c.object_id], c.action, c.before, c.after, c.undone)
            for c in ImportChange.objects.order_by("pk")
        ],
        "problems": list(
            ImportProblem.objects.order_by("row_number", "code").values_list(
                "row_number", "column", "code", "severity"
            )
        ),
    }


def marks() -> dict[str, int]:
    """The last id of the tables whose new rows a snapshot compares."""
    return {
        "outbox": OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "audit": AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }


class _Rollback(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__("rolled back")
        self.value = value


def then_rolled_back(fn: Callable[[], Any]) -> Any:
    """``fn()``'s result, with everything it wrote rolled back (the next run starts from
    the same book)."""
    try:
        with transaction.atomic():
            raise _Rollback(fn())
    except _Rollback as done:
        return done.value


def batch_counts(batch: ImportBatch) -> dict[str, Any]:
    return {
        "status": batch.status,
        "rows": batch.rows_total,
        "new": batch.new_count,
        "unchanged": batch.unchanged_count,
        "invalid": batch.invalid_count,
    }


def import_purchases(
    actor: User, path: Path, *, dry_run: bool = False, skip_invalid: bool = True
) -> ImportBatch:
    """Upload, map (columns as detected, match by phone), check and, unless ``dry_run``,
    commit a purchase file: the steps the web and the API take."""
    from tiercard.imports.services import (
        import_check,
        import_commit,
        import_configure,
        import_upload,
    )

    batch = import_upload(actor=actor, kind="purchases", path=path, filename=path.name)
    batch = import_configure(
        actor=actor,
        batch_id=batch.pk,
        mapping=batch.field_of_column(),
        mode="upsert",
        match_key="phone",
    )
    batch = import_check(actor=actor, batch_id=batch.pk)
    if dry_run:
        return batch
    return import_commit(actor=actor, batch_id=batch.pk, skip_invalid=skip_invalid)
