"""Orders of a large purchase import, recorded a chunk at a time (the import's fast path).

Why: the checkout (``loyalty.services.checkout.purchase_record``) writes a dozen rows per order
with a statement each, 1.7 ms per order on SQLite and 5 ms on PostgreSQL: a million-row file
took half an hour to an hour and a half. This path records the same orders with a few
multi-row statements per chunk and writes exactly what the checkout writes, row for row:

- validation: the applier's ``order_of`` for each order, the same checks as the per-order
  path (``sales.services._build``, the links, replays of stored orders by ``external_ref``);
- locks, in the checkout's order: the window row shared, then the chunk's membership rows
  (created when missing), ``SELECT ... FOR UPDATE`` ordered by customer id on PostgreSQL;
  SQLite's IMMEDIATE transaction already serialises writers. A purchase recorded at the till
  meanwhile either commits before the lock (and is in the figures read here) or waits;
- decisions: ``loyalty.services.checkout_rules``, the checkout's own functions, order by order
  IN FILE ORDER over the locked rows held in memory: window figures, growth value, the
  immediate upgrade (with its tier change and outbox message), points at the multiplier of
  the tier held after the upgrade with the birthday bonus, debt settled, backdated lots
  expired at once; ``balance_after`` runs per customer as the checkout's would;
- writes: purchases, lines, audit rows, growth and points entries, lots, allocations, tier
  changes and messages as multi-row INSERTs (``imports.fastrows``, pipelined on PostgreSQL);
  memberships (absolute values, the rows being locked) and customers' purchase totals
  (relative, as ``purchase_write`` moves them) as one executemany each; one ``ImportChange``
  per purchase, so the undo (``imports.undo``) returns them exactly as the per-order path's;
- the database's constraints as the backstop: if the chunk's writes hit one anyway (a till
  took an order number meanwhile), its savepoint is rolled back and its orders go through
  the checkout one by one.

The check (dry run) validates each order the same way and records nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.audit.models import INSERT_COLUMNS, AuditAction, AuditEvent
from tiercard.core.bulk_insert import insert_values
from tiercard.core.context import current_interface, current_remote_addr
from tiercard.core.timeutils import business_today, local_day_bounds
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.imports.apply_base import NEW, RowFailed, Unit, fail
from tiercard.imports.models import ChangeAction, ImportChange
from tiercard.imports.problems import RowProblem
from tiercard.loyalty.models import (
    ChangeReason,
    EntryKind,
    GrowthEntry,
    GrowthKind,
    Membership,
    PointsAllocation,
    PointsEntry,
    PointsLot,
    TierChange,
)
from tiercard.loyalty.services.checkout import CARD_FIELDS
from tiercard.loyalty.services.checkout_rules import (
    FIGURES,
    UPGRADE_FIELDS,
    add_purchase,
    apply_tier_step,
    birthday_month,
    earn_of,
    tier_step,
    upgrade_payload,
)
from tiercard.loyalty.services.state import (
    Active,
    active_programme,
    metrics_snapshot,
    new_membership,
    window_start_shared,
)
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.sales.models import Purchase, PurchaseLine
from tiercard.tiers.earning import growth_for

if TYPE_CHECKING:
    from tiercard.imports.apply_purchases import PurchaseApplier

DEFAULT_BULK_FROM_BYTES = 64 << 10
"""Purchase files from this size take this path (``TIERCARD_IMPORT_BULK_FROM_BYTES``, the
customers' setting); smaller ones go order by order through the checkout."""

Outcome = tuple[Unit, str | list[RowProblem]]


def bulk_from() -> int:
    return int(getattr(settings, "TIERCARD_IMPORT_BULK_FROM_BYTES", DEFAULT_BULK_FROM_BYTES))


@dataclass
class Order:
    """One validated order: the unit's rows, its customer, the checkout's input and what
    ``_build`` made of it (unsaved)."""

    unit: Unit
    customer_id: int
    data: dict[str, Any]
    purchase: Purchase
    lines: list[PurchaseLine]


def apply_chunk(
    applier: PurchaseApplier, chunk: Sequence[Unit], *, dry_run: bool = False
) -> list[Outcome]:
    """Validate the chunk's units in file order and record the valid new orders together.

    ``dry_run``: validate only, with the per-order path's verdicts (an order is new unless
    stored before this run), without the per-unit savepoints that path needs for its writes.
    """
    results: list[Outcome] = []
    orders: list[Order] = []
    for unit in chunk:
        problems = [p for row in unit for p in row.problems]
        if problems:
            results.append((unit, problems))
            continue
        try:
            order = applier.order_of(unit)
            if not isinstance(order, str):
                applier.check_open(order)
        except RowFailed as failed:
            results.append((unit, failed.problems))
            continue
        if isinstance(order, str):
            results.append((unit, order))
        elif dry_run:
            results.append((unit, NEW))
        else:
            # Recorded by the end of the chunk: the same content again further down replays.
            applier.refs[order.purchase.external_ref] = (order.customer_id, order.purchase.total)
            orders.append(order)
    if orders:
        results.extend(_record_or_fall_back(applier, orders))
    return results


def _record_or_fall_back(applier: PurchaseApplier, orders: list[Order]) -> list[Outcome]:
    try:
        with transaction.atomic():
            return _Chunk(applier, orders).record()
    except IntegrityError:
        pass  # a concurrent writer took an order number: each order through the checkout
    results: list[Outcome] = []
    for order in orders:
        try:
            with transaction.atomic():
                results.append((order.unit, applier.record(order)))
        except RowFailed as failed:
            results.append((order.unit, failed.problems))
    return results


@dataclass(frozen=True)
class _Card:
    """What the checkout reads of a card (``checkout.CARD_FIELDS``, in that order): whether
    it is open, and the birthday the bonus month comes from."""

    pk: int
    status: str
    birthday: dt.date | None
    birthday_calendar: str
    lunar_birth_month: int | None
    lunar_birth_day: int | None


@dataclass
class _Totals:
    """What a chunk adds to one customer's lifetime purchase totals."""

    orders: int = 0
    spend: Decimal = Decimal(0)
    first: dt.datetime | None = None
    last: dt.datetime | None = None

    def add(self, purchase: Purchase) -> None:
        at = purchase.occurred_at
        self.orders += 1
        self.spend += purchase.total
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last


@dataclass
class _Entry:
    order: int  # index into the chunk's orders
    customer_id: int
    kind: str
    points: int
    balance_after: int
    suffix: str  # the key: purchase:<id>:<suffix>


@dataclass
class _Plan:
    """Every row the chunk writes, decided in memory before any is written."""

    growth: list[tuple[int, int, dt.date, int]] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    lots: list[tuple[int, int, int, dt.date, dt.date | None]] = field(default_factory=list)
    allocations: list[tuple[int, int, int]] = field(default_factory=list)  # entry, lot, points
    changes: list[tuple[int, int, str, str, dict[str, object]]] = field(default_factory=list)
    totals: dict[int, _Totals] = field(default_factory=dict)
    retiered: set[int] = field(default_factory=set)  # customers whose tier columns moved


class _Chunk:
    def __init__(self, applier: PurchaseApplier, orders: list[Order]) -> None:
        self.applier = applier
        self.actor = applier.actor
        self.actor_id = self.actor.pk if self.actor is not None and self.actor.pk else None
        self.orders = orders
        self.active: Active = active_programme()
        self.today = business_today()
        self.now = timezone.now()

    def record(self) -> list[Outcome]:
        window_start = window_start_shared(self.active, self.today)
        ids = sorted({o.customer_id for o in self.orders})
        rows = _locked_memberships(ids, self.active)
        cards = {
            values[0]: _Card(*values)
            for values in Customer.objects.filter(pk__in=ids).values_list(*CARD_FIELDS)
        }
        results: list[Outcome] = []
        kept: list[Order] = []
        for order in self.orders:
            if cards[order.customer_id].status == CustomerStatus.ARCHIVED:
                results.append((order.unit, _archived(order).problems))  # archived meanwhile
            else:
                kept.append(order)
        self.orders = kept
        if not kept:
            return results
        plan = self.decide(rows, cards, local_day_bounds(window_start)[0])
        self.write(plan)
        moved = [rows[pk] for pk in ids if pk in plan.totals]
        _save_memberships([r for r in moved if r.pk not in plan.retiered], FIGURE_COLUMNS)
        _save_memberships(
            [r for r in moved if r.pk in plan.retiered], (*FIGURE_COLUMNS, *UPGRADE_FIELDS)
        )
        results.extend((order.unit, NEW) for order in kept)
        return results

    def decide(
        self, rows: dict[int, Membership], cards: dict[int, _Card], since: dt.datetime
    ) -> _Plan:
        """The checkout's decisions, order by order in file order (``checkout._apply_purchase``
        makes the same calls for one order)."""
        plan = _Plan()
        programme, version, today = self.active.programme, self.active.version, self.today
        rules, ladder = programme.points, programme.ladder
        codes = {t.code for t in ladder.tiers}
        for i, order in enumerate(self.orders):
            purchase, cid = order.purchase, order.customer_id
            row = rows[cid]
            plan.totals.setdefault(cid, _Totals()).add(purchase)
            day = business_today(purchase.occurred_at)
            total = purchase.total
            growth = growth_for(rules, total)
            add_purchase(
                row, total=total, day=day, in_window=purchase.occurred_at >= since, growth=growth
            )
            if growth:
                plan.growth.append((i, cid, day, growth))
            previous = row.tier
            step = tier_step(row, ladder, today)
            apply_tier_step(row, step, now=self.now, version=version)
            if step.to_tier is not None or step.recovered:
                plan.retiered.add(cid)
            if step.to_tier is not None:
                snapshot = metrics_snapshot(step.metrics)
                plan.changes.append((i, cid, previous, step.to_tier, snapshot))
            earn = earn_of(
                rules,
                amount=total,
                multiplier=programme.benefits_of(row.tier).points_multiplier,
                birthday=birthday_month(cards[cid], day),
                earned_on=day,
                owed=row.points_owed,
                today=today,
                # An older version's code counts as the lowest tier, as for the multiplier.
                tier=row.tier if row.tier in codes else ladder.lowest.code,
            )
            if earn is None:
                continue
            row.points_balance += earn.points
            plan.entries.append(
                _Entry(i, cid, EntryKind.EARN, earn.points, row.points_balance, "earn")
            )
            lot = len(plan.lots)
            plan.lots.append((len(plan.entries) - 1, cid, earn.points, day, earn.expires_on))
            for kind, points, suffix in (
                (EntryKind.REVERSAL, earn.settle, "settle"),
                (EntryKind.EXPIRE, earn.expire_now, "expire"),
            ):
                if not points:
                    continue
                row.points_balance -= points
                if suffix == "settle":
                    row.points_owed -= points
                plan.entries.append(_Entry(i, cid, kind, -points, row.points_balance, suffix))
                plan.allocations.append((len(plan.entries) - 1, lot, points))
        return plan

    # --- writing -------------------------------------------------------------------------

    def write(self, plan: _Plan) -> None:
        actor_id, now, version = self.actor_id, self.now, self.active.version
        purchases = [o.purchase for o in self.orders]
        ids = insert_values(
            Purchase, PURCHASE_COLUMNS, _values(purchases, PURCHASE_COLUMNS), returning=True
        )
        for purchase, pk in zip(purchases, ids, strict=True):
            purchase.pk = pk
        lines = [line for o in self.orders for line in _bound(o)]
        insert_values(PurchaseLine, LINE_COLUMNS, _values(lines, LINE_COLUMNS))
        _add_totals(plan.totals)
        interface, remote = current_interface(), current_remote_addr()[:64]
        label = self.actor.username if actor_id else "system"
        insert_values(
            AuditEvent,
            AUDIT_COLUMNS,
            (
                (
                    now,
                    actor_id,
                    label,
                    interface,
                    remote,
                    AuditAction.CREATE.value,
                    "sales.purchase",
                    str(o.purchase.pk),
                    o.customer_id,
                    {
                        "total": str(o.purchase.total),
                        "lines": len(o.lines),
                        "external_ref": o.purchase.external_ref,
                    },
                    "",
                )
                for o in self.orders
            ),
        )
        insert_values(
            GrowthEntry,
            GROWTH_COLUMNS,
            (
                (
                    cid,
                    day,
                    amount,
                    GrowthKind.PURCHASE.value,
                    f"purchase:{ids[i]}:growth",
                    ids[i],
                    version,
                    "",
                    actor_id,
                    now,
                )
                for i, cid, day, amount in plan.growth
            ),
        )
        entry_ids = insert_values(
            PointsEntry,
            ENTRY_COLUMNS,
            (
                (
                    e.customer_id,
                    str(e.kind),
                    e.points,
                    e.balance_after,
                    now,
                    f"purchase:{ids[e.order]}:{e.suffix}",
                    ids[e.order],
                    None,
                    version,
                    "",
                    actor_id,
                    now,
                )
                for e in plan.entries
            ),
            returning=True,
        )
        taken: dict[int, int] = {}
        for _entry, lot, points in plan.allocations:
            taken[lot] = taken.get(lot, 0) + points
        lot_ids = insert_values(
            PointsLot,
            LOT_COLUMNS,
            (
                (entry_ids[entry], cid, points, points - taken.get(n, 0), day, expires)
                for n, (entry, cid, points, day, expires) in enumerate(plan.lots)
            ),
            returning=bool(plan.allocations),
        )
        insert_values(
            PointsAllocation,
            ALLOCATION_COLUMNS,
            ((entry_ids[entry], lot_ids[lot], points) for entry, lot, points in plan.allocations),
        )
        self.write_changes(plan, ids)
        insert_values(
            ImportChange,
            CHANGE_COLUMNS,
            (
                (
                    self.applier.batch.pk,
                    o.unit[0].number,
                    "sales.purchase",
                    o.purchase.pk,
                    ChangeAction.CREATED.value,
                    {},
                    {"total": str(o.purchase.total), "customer_id": o.customer_id},
                    False,
                )
                for o in self.orders
            ),
        )

    def write_changes(self, plan: _Plan, ids: list[int]) -> None:
        """Tier changes of the chunk's upgrades, then their messages (keyed by change id)."""
        if not plan.changes:
            return
        version, today = self.active.version, self.today
        change_ids = insert_values(
            TierChange,
            CHANGE_ROW_COLUMNS,
            (
                (
                    cid,
                    self.now,
                    today,
                    previous,
                    to_tier,
                    ChangeReason.AUTO_UPGRADE.value,
                    version,
                    metrics,
                    ids[i],
                    self.actor_id,
                    "",
                )
                for i, cid, previous, to_tier, metrics in plan.changes
            ),
            returning=True,
        )
        messages = [
            OutboxMessage(
                key=f"tier_upgrade:{pk}",
                kind=MessageKind.TIER_UPGRADE,
                customer_id=cid,
                payload=upgrade_payload(
                    change_id=pk, from_tier=previous, to_tier=to_tier, today=today, version=version
                ),
            )
            for pk, (_i, cid, previous, to_tier, _m) in zip(change_ids, plan.changes, strict=True)
        ]
        insert_values(OutboxMessage, MESSAGE_COLUMNS, _values(messages, MESSAGE_COLUMNS))


def _archived(order: Order) -> RowFailed:
    return fail(
        order.unit[0],
        "customer_archived",
        _("This customer is archived. Restore the card before recording purchases."),
    )


def _bound(order: Order) -> list[PurchaseLine]:
    for line in order.lines:
        line.purchase = order.purchase
    return order.lines


def _values(objs: Iterable[models.Model], columns: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    return (tuple(getattr(obj, name) for name in columns) for obj in objs)


def _columns(model: type[models.Model]) -> tuple[str, ...]:
    """Every concrete column but the auto primary key, by attname."""
    return tuple(f.attname for f in model._meta.concrete_fields if not f.primary_key)


# Column lists of the multi-row INSERTs. Those written from tuples are spelled out (the tuples
# above follow them); a test checks each against its model, so a new column cannot be missed.
PURCHASE_COLUMNS = _columns(Purchase)
LINE_COLUMNS = _columns(PurchaseLine)
MESSAGE_COLUMNS = _columns(OutboxMessage)
AUDIT_COLUMNS = INSERT_COLUMNS
GROWTH_COLUMNS = (
    "customer_id",
    "occurred_on",
    "amount",
    "kind",
    "key",
    "purchase_id",
    "ladder_version",
    "note",
    "actor_id",
    "created_at",
)
ENTRY_COLUMNS = (
    "customer_id",
    "kind",
    "points",
    "balance_after",
    "occurred_at",
    "key",
    "purchase_id",
    "reverses_id",
    "ladder_version",
    "note",
    "actor_id",
    "created_at",
)
LOT_COLUMNS = ("entry_id", "customer_id", "points", "remaining", "earned_on", "expires_on")
ALLOCATION_COLUMNS = ("entry_id", "lot_id", "points")
CHANGE_ROW_COLUMNS = (
    "customer_id",
    "at",
    "effective_on",
    "from_tier",
    "to_tier",
    "reason",
    "ladder_version",
    "metrics",
    "purchase_id",
    "actor_id",
    "note",
)
CHANGE_COLUMNS = (
    "batch_id",
    "row_number",
    "model",
    "object_id",
    "action",
    "before",
    "after",
    "undone",
)
WRITTEN = {
    AuditEvent: AUDIT_COLUMNS,
    GrowthEntry: GROWTH_COLUMNS,
    PointsEntry: ENTRY_COLUMNS,
    PointsLot: LOT_COLUMNS,
    PointsAllocation: ALLOCATION_COLUMNS,
    TierChange: CHANGE_ROW_COLUMNS,
    ImportChange: CHANGE_COLUMNS,
}
"""The tuple-written tables and their column lists (checked against the models by a test)."""

FIGURE_COLUMNS = (*FIGURES, "points_balance", "points_owed", "updated_at")
"""What every purchase moves on a membership row; with an upgrade (or a recovery) also the
``UPGRADE_FIELDS``: the same columns the checkout's statements set, so the same indexes."""


def _locked_memberships(ids: list[int], active: Active) -> dict[int, Membership]:
    """The customers' membership rows, locked in customer-id order; created when missing
    (the lowest tier, as ``membership_lock`` creates them)."""
    rows = _select_locked(ids)
    missing = [pk for pk in ids if pk not in rows]
    if missing:
        Membership.objects.bulk_create(
            [new_membership(pk, active) for pk in missing], ignore_conflicts=True
        )
        rows.update(_select_locked(missing))
    return rows


def _select_locked(ids: list[int]) -> dict[int, Membership]:
    found = Membership.objects.filter(pk__in=ids).order_by("pk").select_for_update()
    return {row.pk: row for row in found}


def _save_memberships(rows: list[Membership], columns: Sequence[str]) -> None:
    """One executemany of ``columns``: each row's new values (absolute: the rows are locked)."""
    if not rows:
        return
    meta = Membership._meta
    fields = [f for name in columns for f in meta.concrete_fields if f.name == name]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE customer_id = %s".format(  # noqa: S608 (model metadata only)
        quote(meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields)
    )
    sent = [(f.attname, _sender(f)) for f in fields]
    params = [[send(getattr(row, name)) for name, send in sent] + [row.pk] for row in rows]
    with connection.cursor() as cur:
        cur.executemany(sql, params)


def _sender(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How a value of ``field`` is sent in an UPDATE parameter, as ``get_db_prep_save`` would
    send it, without its per-value dispatch (a membership row has seventeen of them)."""
    ops = connection.ops
    if connection.vendor == "postgresql":
        return _as_is  # psycopg adapts dates, times and decimals itself
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else ops.adapt_datefield_value(v)
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: None if v is None else ops.adapt_decimalfield_value(v, digits, places)
    return _as_is


def _as_is(value: Any) -> Any:
    return value


def _add_totals(totals: dict[int, _Totals]) -> None:
    """The customers' lifetime purchase totals, moved as ``purchase_write`` moves them."""
    at = connection.ops.adapt_datetimefield_value
    sql = (
        "UPDATE customers_customer SET order_count = order_count + %s,"
        " total_spend = total_spend + %s,"
        " first_purchase_at = CASE WHEN first_purchase_at IS NULL OR first_purchase_at > %s"
        " THEN %s ELSE first_purchase_at END,"
        " last_purchase_at = CASE WHEN last_purchase_at IS NULL OR last_purchase_at < %s"
        " THEN %s ELSE last_purchase_at END"
        " WHERE id = %s"
    )
    params = [
        [t.orders, t.spend, at(t.first), at(t.first), at(t.last), at(t.last), pk]
        for pk, t in sorted(totals.items())
    ]
    with connection.cursor() as cur:
        cur.executemany(sql, params)
