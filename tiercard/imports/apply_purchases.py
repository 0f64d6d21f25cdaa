"""Purchase rows: linked to a customer, grouped into orders, recorded through the checkout.

Rows that share an order number and follow each other form one purchase with one line per
row; the order's customer, time, store, channel, payment method and note come from its first
row (later rows that name another customer or time are refused). An order number seen again
further down the file, after other orders, is refused (``order_split``): the file would have
to be held in memory to join them.

Small files record each purchase through ``loyalty.services.checkout.purchase_record``, so
window figures, growth value, tier upgrades and points follow exactly as at the till. Files of
``TIERCARD_IMPORT_BULK_FROM_BYTES`` and up (64 KiB by default, the customers' switch) take the
bulk path (``bulk_purchases``): each chunk's orders are validated the same way (``order_of``),
their customers' memberships locked together, and the checkout's own decisions
(``loyalty.services.checkout_rules``) applied order by order in file order before the rows are
written with a few multi-row statements: the same rows, values and running balances as the
per-order path, two to four times faster (a million rows in about 10 minutes on SQLite
rather than half an hour, 25 on PostgreSQL rather than an hour and a half). The order
number is the purchase's ``external_ref`` (the database keeps it unique): importing the same
file again, or an order the till already sent, replays instead of doubling. Rows without an
order number get a reference derived from their content (customer, time, amount, item), so
they too are recorded once; a row repeating an earlier row of the same file that way is
told to the user (a warning naming that row) and counted unchanged, in the check as in the
commit, on both paths. The import mode does not apply: purchases are never updated, an
order already recorded counts as unchanged. Both paths record one ``ImportChange`` per
purchase, so the undo returns a bulk-imported purchase exactly as any other.

The check (dry run) validates each order with the checkout's own value checks
(``sales.services._build``) and the links, without recording it, on either path: the loyalty
effects cannot make a valid order invalid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.core.errors import DomainError
from tiercard.customers.models import Customer
from tiercard.imports import bulk_purchases as bulk
from tiercard.imports.apply_base import (
    NEW,
    UNCHANGED,
    CustomerFinder,
    RowFailed,
    Unit,
    fail,
    link_key,
    linked_customer,
    record_change,
    service_problems,
)
from tiercard.imports.bulk_purchases import Order
from tiercard.imports.models import ImportBatch
from tiercard.imports.problems import RowProblem
from tiercard.imports.rows import ParsedRow
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase, PurchaseLine
from tiercard.sales.services import _build

CENT = Decimal("0.01")
RENAMED = {"external_ref": "order_no", "total": "amount", "amount": "amount"}
ORDER_FIELDS = ("store", "channel", "payment_method", "note")
MAX_REF = 64


def order_key(row: ParsedRow) -> str:
    return str(row.values.get("order_no") or "")


def _line(row: ParsedRow, header_of: dict[str, str]) -> dict[str, Any]:
    """The line a row describes: quantity × unit price less discount = amount (cents)."""
    values = row.values
    qty = Decimal(values.get("quantity") or 1)
    amount = values.get("amount")
    price = values.get("unit_price")
    discount = Decimal(values.get("discount") or 0)
    if price is None and amount is not None:
        price = (Decimal(amount) + discount) / qty
        price = price.quantize(CENT, rounding=ROUND_HALF_UP)
        if (qty * price).quantize(CENT) < Decimal(amount) + discount:
            price += CENT
    if price is None:
        raise fail(
            row,
            "amount_missing",
            _("Give the amount or the unit price."),
            column=header_of.get("amount", ""),
            field="amount",
        )
    gross = (qty * Decimal(price)).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount is not None:
        discount = gross - Decimal(amount)
        if discount < 0:
            raise fail(
                row,
                "amount_exceeds_price",
                _("The amount is more than quantity × unit price."),
                column=header_of.get("amount", ""),
                field="amount",
            )
    return {
        "sku": values.get("sku") or "",
        "item_name": values.get("item_name") or str(_("Imported item")),
        "quantity": str(qty),
        "unit_price": str(price),
        "discount": str(discount),
    }


def content_ref(customer_id: int, unit: Unit) -> str:
    """A stable reference for a row without an order number."""
    row = unit[0]
    text = "|".join(
        str(row.values.get(name) or "")
        for name in ("occurred_at", "amount", "unit_price", "quantity", "item_name", "sku")
    )
    digest = hashlib.sha256(f"{customer_id}|{text}".encode()).hexdigest()[:24]
    return f"import:{digest}"


def _stored(refs: list[str]) -> QuerySet[Purchase]:
    """Stored purchases with these references, found through the unique index: it is partial
    (non-blank references), and SQLite uses it only when the query repeats its condition;
    without it each chunk scanned every purchase (quadratic in the file's size)."""
    return Purchase.objects.exclude(external_ref="").filter(external_ref__in=refs).order_by()


class PurchaseApplier:
    def __init__(self, batch: ImportBatch, actor: User, header_of: dict[str, str]) -> None:
        self.batch = batch
        self.actor = actor
        self.header_of = header_of
        self.key = batch.match_key
        self.finder = CustomerFinder(actor, self.key)
        self.orders_seen: set[int] = set()  # hashes of order numbers already applied
        # Hashes of content references (rows without an order number) → their first row.
        self.contents_seen: dict[int, int] = {}
        self.refs: dict[str, tuple[int, Decimal]] = {}
        self.dry_run = False  # set by the driver: the check validates without the checkout
        # Large files take the bulk path; it writes what the checkout writes, as the checkout
        # would (a role that may not record purchases gets the checkout's refusal per order).
        self.bulk = batch.size >= bulk.bulk_from() and policy.can_record_purchase(actor)

    def prepare(self, units: Sequence[Unit]) -> None:
        self.finder.load(link_key(unit[0].values, self.key) for unit in units)
        refs = [order_key(unit[0]) for unit in units if order_key(unit[0])]
        self.refs = {
            ref: (customer_id, total)
            for ref, customer_id, total in _stored(refs).values_list(
                "external_ref", "customer_id", "total"
            )
        }

    def _check_order(self, unit: Unit) -> str:
        ref = order_key(unit[0])
        column = self.header_of.get("order_no", "")
        if not ref:
            return ""
        if len(ref) > MAX_REF:
            raise fail(
                unit[0],
                "order_no_too_long",
                _("An order number has at most 64 characters."),
                column=column,
                field="order_no",
            )
        digest = int.from_bytes(hashlib.blake2b(ref.encode(), digest_size=8).digest(), "big")
        if digest in self.orders_seen:
            raise fail(
                unit[0],
                "order_split",
                _("The rows of this order are not next to each other in the file."),
                column=column,
                field="order_no",
            )
        self.orders_seen.add(digest)
        first = unit[0].values
        for row in unit[1:]:
            for name in ("occurred_at", "phone", "external_id", "name", "company_name"):
                if name in row.values and row.values[name] != first.get(name):
                    raise fail(
                        row,
                        "order_inconsistent",
                        _("The rows of one order name different customers or times."),
                        column=self.header_of.get(name, ""),
                        field=name,
                    )
        return ref

    def _validated(
        self, customer_id: int, data: dict[str, Any], unit: Unit
    ) -> tuple[Purchase, list[PurchaseLine]]:
        """The order as ``purchase_write`` builds it (unsaved), with every check it makes on
        the values (``sales.services._build``, pure but for the sales rep lookup)."""
        try:
            # The card as a bare reference (only its id is used): building a full instance
            # of the wide Customer model cost a third of the whole check.
            return _build(self.actor, Customer.from_db(None, ["id"], [customer_id]), data)
        except DomainError as error:
            raise RowFailed(
                service_problems(error, unit, self.header_of, field_names=RENAMED)
            ) from error

    def order_of(self, unit: Unit) -> Order | str:
        """The unit as a validated order to record, or ``UNCHANGED`` for a replay; raises
        RowFailed with the unit's problems. Reads only: both paths record what it returns."""
        ref = self._check_order(unit)
        first = unit[0]
        customer_id = linked_customer(self.finder, first, self.key, self.header_of)
        lines = [_line(row, self.header_of) for row in unit]
        if not ref:
            ref = content_ref(customer_id, unit)
            found = _stored([ref]).values_list("customer_id", "total").first()
            if found is not None:
                self.refs[ref] = found
        data: dict[str, Any] = {
            "occurred_at": first.values.get("occurred_at"),
            "external_ref": ref,
            "lines": lines,
        }
        for name in ORDER_FIELDS:
            if first.values.get(name):
                data[name] = first.values[name]
        purchase, built = self._validated(customer_id, data, unit)
        if not order_key(first) and self._repeats_earlier_row(unit, ref):
            return UNCHANGED
        known = self.refs.get(ref)
        if known is not None:
            if known == (customer_id, purchase.total):
                return UNCHANGED  # recorded before (an earlier run, or the till): a replay
            raise fail(
                first,
                "duplicate_external_ref",
                _("This order number was already used for a different purchase."),
                column=self.header_of.get("order_no", ""),
                field="order_no",
            )
        return Order(unit, customer_id, data, purchase, built)

    def _repeats_earlier_row(self, unit: Unit, ref: str) -> bool:
        """A row without an order number that repeats an earlier row of this file (same
        customer, time, amount and item) is the same purchase by its content reference: it is
        recorded once. Said as a warning naming the earlier row, and the row counted
        unchanged, alike in the check and the commit, on both paths."""
        digest = int.from_bytes(hashlib.blake2b(ref.encode(), digest_size=8).digest(), "big")
        first = self.contents_seen.setdefault(digest, unit[0].number)
        if first == unit[0].number:
            return False
        unit[0].notes.append(
            RowProblem(
                row=unit[0].number,
                code="duplicate_in_file",
                message=_(
                    "The same purchase as row %(first)s (same customer, time, amount and item; "
                    "no order number), so it is recorded once. If it is a separate purchase, "
                    "give each row its own order number."
                ),
                column=self.header_of.get("order_no", ""),
                field="order_no",
                severity="warning",
                params={"first": first},
            )
        )
        return True

    def check_open(self, order: Order) -> None:
        """An archived card takes no purchases (as the checkout refuses them)."""
        first = order.unit[0]
        if any(m.archived for m in self.finder.get(link_key(first.values, self.key))):
            raise fail(
                first,
                "customer_archived",
                _("This customer is archived. Restore the card before recording purchases."),
            )

    def apply(self, unit: Unit) -> str:
        order = self.order_of(unit)
        if isinstance(order, str):
            return order
        if self.dry_run:
            # The checkout's own writes are not needed to know the order is valid: the values
            # passed ``_build`` and the card is open.
            self.check_open(order)
            return NEW
        return self.record(order)

    def record(self, order: Order) -> str:
        """Record one order through the checkout (the per-order path)."""
        try:
            recorded = purchase_record(
                actor=self.actor, customer_id=order.customer_id, data=order.data
            )
        except DomainError as error:
            raise RowFailed(
                service_problems(error, order.unit, self.header_of, field_names=RENAMED)
            ) from error
        if not recorded.created:
            return UNCHANGED
        record_change(
            self.batch,
            order.unit[0],
            model="sales.purchase",
            object_id=recorded.purchase.pk,
            after={"total": str(recorded.purchase.total), "customer_id": order.customer_id},
        )
        return NEW

    def apply_bulk(
        self, chunk: Sequence[Unit], *, dry_run: bool
    ) -> tuple[list[Unit], list[tuple[Unit, str | list[RowProblem]]]]:
        """Large files: the chunk's orders recorded together (``bulk_purchases``); (units left
        for the per-order path, outcomes or problems of the others)."""
        if not self.bulk:
            return list(chunk), []
        return [], bulk.apply_chunk(self, chunk, dry_run=dry_run)
