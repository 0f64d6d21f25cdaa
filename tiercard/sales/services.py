"""Writing purchases and returns: the only writer of ``Purchase``, ``PurchaseReturn`` and the
customer's lifetime purchase totals.

Interfaces do not call these directly: ``tiercard.loyalty.services.checkout`` wraps them so that
every purchase and return also moves the customer's window figures, growth value, points and
tier in the same transaction.

Idempotency: a purchase with an ``external_ref`` is recorded at most once. Replaying the same
purchase (same customer and amount) returns the stored one with ``created=False``; reusing the
reference for a different purchase is a validation error on ``external_ref``. The database's
unique constraint settles concurrent replays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core import batch, rows
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.modelcheck import full_clean_into
from tiercard.core.money import parse_amount, quantize
from tiercard.core.text import clean_text
from tiercard.customers import validation as v
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.customers.selectors import visible_customers
from tiercard.sales.models import (
    HALF_CENT,
    PaymentMethod,
    Purchase,
    PurchaseLine,
    PurchaseReturn,
    SalesChannel,
)

M = TypeVar("M", Purchase, PurchaseReturn)

MAX_LINES = 500
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LINE_KEYS = frozenset({"sku", "item_name", "quantity", "unit_price", "discount"})
PURCHASE_KEYS = frozenset(
    {
        "occurred_at",
        "external_ref",
        "channel",
        "store",
        "sales_rep_id",
        "payment_method",
        "discount",
        "tier_discount",
        "note",
        "lines",
    }
)


def _by_reference(model: type[M], reference: str) -> M | None:
    """The row holding a non-blank ``external_ref``.

    The unique index is partial (``WHERE NOT (external_ref = '')``); SQLite uses it only when
    the query repeats that condition in the same form, otherwise it scans every purchase. The
    lookup runs on every purchase with a reference, so it is one plain indexed statement; the
    row itself is loaded only when there is one (a replay).
    """
    return _by_reference_later(model, reference)()


def _by_reference_later(model: type[M], reference: str) -> Callable[[], M | None]:
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT id FROM {table} WHERE NOT (external_ref = '') AND external_ref = %s"  # noqa: S608
    sent = batch.send(sql, [reference])

    def stored() -> M | None:
        found = sent.row()
        return None if found is None else model.objects.get(pk=found[0])

    return stored


def purchase_reference(data: Mapping[str, Any]) -> str:
    """The ``external_ref`` a purchase recorded from ``data`` will carry ('' for none)."""
    return clean_text(str(data.get("external_ref") or ""))


def purchase_by_reference_later(reference: str) -> Callable[[], Purchase | None]:
    """The purchase holding ``reference`` (non-blank), its lookup sent now (streamed in an open
    ``core.batch``): for ``purchase_write(stored=...)``."""
    return _by_reference_later(Purchase, reference)


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: Purchase
    created: bool


def _clean_quantity(raw: object, errors: FieldErrors, field: str) -> Decimal | None:
    try:
        qty = parse_amount(raw if raw not in (None, "") else "1")
    except ValueError:
        errors.add(field, _("“%(value)s” is not a quantity.") % {"value": raw})
        return None
    if qty <= 0:
        errors.add(field, _("The quantity must be greater than zero."))
        return None
    if qty != qty.quantize(Decimal("0.001")) or qty >= Decimal("10000000"):
        errors.add(field, _("The quantity is out of range."))
        return None
    return qty


def _clean_lines(raw_lines: object, errors: FieldErrors) -> list[PurchaseLine]:
    if not isinstance(raw_lines, Sequence) or isinstance(raw_lines, str) or not raw_lines:
        errors.add("lines", _("A purchase needs at least one item."))
        return []
    if len(raw_lines) > MAX_LINES:
        errors.add("lines", _("A purchase has at most %(n)d items.") % {"n": MAX_LINES})
        return []
    lines: list[PurchaseLine] = []
    for i, raw in enumerate(raw_lines):
        prefix = f"lines.{i}."
        if not isinstance(raw, Mapping):
            errors.add(f"lines.{i}", _("Each item must be an object."))
            continue
        for key in sorted(set(raw) - LINE_KEYS):
            errors.add(prefix + key, _("Unknown field."))
        qty = _clean_quantity(raw.get("quantity"), errors, prefix + "quantity")
        price = v.clean_money(
            raw.get("unit_price"), errors, prefix + "unit_price", allow_empty=False
        )
        discount = v.clean_money(raw.get("discount"), errors, prefix + "discount") or Decimal(0)
        line = PurchaseLine(
            sku=clean_text(str(raw.get("sku") or "")),
            item_name=clean_text(str(raw.get("item_name") or "")),
            quantity=qty or Decimal(1),
            unit_price=price or Decimal(0),
            discount=discount,
            amount=Decimal(0),
        )
        if qty is not None and price is not None:
            gross = quantize(qty * price)
            if discount > gross:
                errors.add(prefix + "discount", _("The discount exceeds the item amount."))
            line.amount = max(gross - discount, Decimal(0))
        full_clean_into(line, errors, exclude=["purchase"], prefix=prefix)
        lines.append(line)
    return lines


def _build(
    actor: User,
    customer: Customer,
    data: Mapping[str, Any],
    discount_percent: Decimal | None = None,
) -> tuple[Purchase, list[PurchaseLine]]:
    errors = FieldErrors()
    for key in sorted(set(data) - PURCHASE_KEYS):
        errors.add(key, _("Unknown field."))
    occurred = v.clean_past_time(
        data.get("occurred_at"),
        errors,
        "occurred_at",
        now=timezone.now(),
        future_message=_("The purchase time cannot be in the future."),
        earliest=EARLIEST,
        earliest_message=_("The purchase time cannot be before 2000."),
    )
    channel = str(data.get("channel") or SalesChannel.STORE)
    payment = str(data.get("payment_method") or PaymentMethod.WECHAT_PAY)
    rep = None
    if data.get("sales_rep_id") not in (None, ""):
        rep = User.objects.filter(
            pk=int(str(data["sales_rep_id"])) if str(data["sales_rep_id"]).isdigit() else -1,
            is_active=True,
        ).first()
        if rep is None:
            errors.add("sales_rep_id", _("Unknown sales rep."))
    lines = _clean_lines(data.get("lines"), errors)
    discount = v.clean_money(data.get("discount"), errors, "discount") or Decimal(0)
    subtotal = sum((line.amount for line in lines), Decimal(0))
    taken_at = None
    if _tier_discount(data, errors):
        if data.get("discount") not in (None, ""):
            errors.add("discount", _("Give an order discount or the tier discount, not both."))
        elif discount_percent is None:
            errors.add("tier_discount", _("No tier discount applies to this purchase."))
        else:
            discount = tier_discount_amount(subtotal, discount_percent)
            taken_at = discount_percent
    if discount > subtotal and lines:
        errors.add("discount", _("The discount exceeds the purchase amount."))
    purchase = Purchase(
        customer=customer,
        occurred_at=occurred,
        external_ref=purchase_reference(data),
        channel=channel,
        store=clean_text(str(data.get("store") or "")),
        sales_rep=rep or actor,
        payment_method=payment,
        subtotal=subtotal,
        discount=discount,
        tier_discount_percent=taken_at,
        total=max(subtotal - discount, Decimal(0)),
        note=clean_text(str(data.get("note") or "")),
        created_by=actor,
    )
    full_clean_into(purchase, errors, exclude=["customer", "sales_rep", "created_by"])
    errors.raise_if_any()
    return purchase, lines


def _tier_discount(data: Mapping[str, Any], errors: FieldErrors) -> bool:
    value = data.get("tier_discount")
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.add("tier_discount", _("Enter true or false."))
        return False
    return value


def tier_discount_amount(subtotal: Decimal, percent: Decimal) -> Decimal:
    """The order discount of a tier's ``percent`` off ``subtotal``, to the cent (half up)."""
    return quantize(subtotal * percent / 100)


def _replay(purchase: Purchase, existing: Purchase) -> RecordedPurchase:
    # With the tier discount the amount depends on the tier when it was recorded, which the
    # first recording may itself have raised: the same goods at the same list prices, asked
    # with the tier discount both times, is the same purchase. Otherwise the same total,
    # neither time with it.
    if purchase.tier_discount_percent is not None:
        same = existing.tier_discount_percent is not None and existing.subtotal == purchase.subtotal
    else:
        same = existing.tier_discount_percent is None and existing.total == purchase.total
    if existing.customer_id == purchase.customer_id and same:
        return RecordedPurchase(existing, created=False)
    raise ValidationFailed(
        fields={"external_ref": [_("This reference was already used for a different purchase.")]},
        code="duplicate_external_ref",
    )


def purchase_write(
    *,
    actor: User,
    customer: Customer,
    data: Mapping[str, Any],
    stored: Callable[[], Purchase | None] | None = None,
    totals_by_caller: bool = False,
    discount_percent: Decimal | None = None,
) -> RecordedPurchase:
    """Record a purchase with its lines and update the customer's purchase totals.

    ``customer`` was read through ``visible_customers(actor)`` by the caller (the checkout),
    with at least ``status`` loaded. Raises PermissionDenied for roles that may not record
    purchases, ValidationFailed (naming each field, lines as ``lines.N.field``),
    Conflict(``customer_archived``). Must run inside the caller's transaction, without a
    savepoint: a concurrent replay of the same ``external_ref`` surfaces as ``IntegrityError``
    and the caller, once its transaction has rolled back, calls again (the retry finds the
    stored purchase and replays it).

    The rows are written with ``tiercard.core.rows`` (SQL built once per model): this is the
    hot path of the product, and compiling each statement anew cost more than the writes.
    ``stored``: the lookup of ``purchase_reference(data)`` the caller already sent
    (``purchase_by_reference_later``), so it could travel with its other reads.
    ``totals_by_caller``: the caller moves the card's totals itself with
    ``purchase_totals_add`` for a created purchase, later in the same transaction (the
    checkout, so that an upgrade's tier goes into the same card UPDATE).
    ``discount_percent``: the discount of the tier the customer holds before this purchase;
    with ``tier_discount: true`` in ``data`` the order discount is that share of the
    subtotal (then ``discount`` must be left out). ``None``: no tier discount applies here.
    """
    if not policy.can_record_purchase(actor):
        raise PermissionDenied()
    purchase, lines = _build(actor, customer, data, discount_percent)
    if purchase.external_ref:
        find = stored or (lambda: _by_reference(Purchase, purchase.external_ref))
        existing = find()
        if existing is not None:
            return _replay(purchase, existing)
    if customer.status == CustomerStatus.ARCHIVED:
        # An archived card is closed: new business goes to a restored or surviving card.
        raise Conflict(
            _("This customer is archived. Restore the card before recording purchases."),
            code="customer_archived",
        )
    rows.insert(purchase)
    for line in lines:
        line.purchase = purchase
        rows.insert(line)
    if not totals_by_caller:
        purchase_totals_add(customer.pk, purchase)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=purchase,
        customer_id=customer.pk,
        changes={
            "total": str(purchase.total),
            "lines": len(lines),
            "external_ref": purchase.external_ref,
        },
    )
    return RecordedPurchase(purchase, created=True)


def purchase_totals_add(customer_id: int, purchase: Purchase, *, tier: str | None = None) -> None:
    """Add a created purchase to the customer's lifetime totals (orders, spend, first and last
    purchase), in one UPDATE of the card row sent in the open batch, if any.

    ``tier``: the card's tier copy when the same transaction upgrades the membership (its
    code, or "" for the lowest tier: ``loyalty`` migration 0008). Setting it here writes the
    card row once; the membership trigger that copies the tier then finds it already in
    place and changes nothing (it stays the rule: a wrong value here is corrected by it).
    """
    when = connection.ops.adapt_datetimefield_value(purchase.occurred_at)
    sql = (
        "UPDATE customers_customer SET order_count = order_count + 1,"
        " total_spend = total_spend + %s,"
        " first_purchase_at = CASE WHEN first_purchase_at IS NULL OR first_purchase_at > %s"
        " THEN %s ELSE first_purchase_at END,"
        " last_purchase_at = CASE WHEN last_purchase_at IS NULL OR last_purchase_at < %s"
        " THEN %s ELSE last_purchase_at END"
    )
    params: list[Any] = [purchase.total, when, when, when, when]
    if tier is not None:
        sql += ", tier = %s"
        params.append(tier)
    batch.send(sql + " WHERE id = %s", [*params, customer_id])


RETURN_KEYS = frozenset({"amount", "occurred_at", "external_ref", "reason"})


@dataclass(frozen=True)
class RecordedReturn:
    purchase_return: PurchaseReturn
    created: bool
    returned_before: Decimal
    """What had been returned from the purchase before this return (for pro-rata shares)."""


def _build_return(actor: User, purchase: Purchase, data: Mapping[str, Any]) -> PurchaseReturn:
    errors = FieldErrors()
    for key in sorted(set(data) - RETURN_KEYS):
        errors.add(key, _("Unknown field."))
    amount = v.clean_money(
        data.get("amount"), errors, "amount", allow_empty=False, allow_zero=False
    )
    if amount is not None and amount != quantize(amount):
        errors.add("amount", _("Use at most 2 decimal places."))
    occurred = v.clean_past_time(
        data.get("occurred_at"),
        errors,
        "occurred_at",
        now=timezone.now(),
        future_message=_("The return time cannot be in the future."),
        earliest=purchase.occurred_at,
        earliest_message=_("The return cannot be before the purchase."),
    )
    item = PurchaseReturn(
        purchase=purchase,
        amount=amount or Decimal(0),
        occurred_at=occurred,
        external_ref=clean_text(str(data.get("external_ref") or "")),
        reason=clean_text(str(data.get("reason") or "")),
        created_by=actor,
    )
    full_clean_into(item, errors, exclude=["purchase", "created_by", "amount"])
    errors.raise_if_any()
    return item


def _replay_return(item: PurchaseReturn, existing: PurchaseReturn) -> RecordedReturn:
    if existing.purchase_id == item.purchase_id and existing.amount == item.amount:
        return RecordedReturn(existing, created=False, returned_before=Decimal(0))
    raise ValidationFailed(
        fields={"external_ref": [_("This reference was already used for a different return.")]},
        code="duplicate_external_ref",
    )


def purchase_return_write(
    *, actor: User, purchase_id: int, data: Mapping[str, Any]
) -> RecordedReturn:
    """Record goods returned from a purchase; lower the purchase's and customer's totals.

    The purchase must be visible to the actor (else NotFound). The returned amount never
    exceeds what is left of the purchase: the conditional update settles concurrent returns
    (``return_exceeds_purchase``). A fully returned purchase no longer counts as an order.
    Must run inside the caller's transaction (the loyalty checkout provides it).
    """
    purchase = (
        Purchase.objects.filter(customer__in=visible_customers(actor), pk=purchase_id)
        .select_related("customer")
        .first()
    )
    if purchase is None:
        raise NotFound()
    if not policy.can_record_purchase(actor):
        raise PermissionDenied()
    item = _build_return(actor, purchase, data)
    if item.external_ref:
        existing = _by_reference(PurchaseReturn, item.external_ref)
        if existing is not None:
            return _replay_return(item, existing)
    left = purchase.total - purchase.returned_amount
    if item.amount > left:
        raise Conflict(
            _("Only ¥%(left)s of this purchase can still be returned.") % {"left": left},
            code="return_exceeds_purchase",
        )
    try:
        with transaction.atomic():
            # Conditional on what is left, within half a cent: SQLite keeps the running sum as
            # a binary float. Callers hold the customer's membership lock, so returns of one
            # purchase are serialised and this only guards against a caller that does not.
            moved = Purchase.objects.filter(
                pk=purchase.pk,
                returned_amount__lte=F("total") - item.amount + HALF_CENT,
            ).update(returned_amount=Round(F("returned_amount") + item.amount, 2))
            if moved != 1:
                raise Conflict(
                    _("Only ¥%(left)s of this purchase can still be returned.") % {"left": left},
                    code="return_exceeds_purchase",
                )
            item.save()
            fully = purchase.returned_amount + item.amount >= purchase.total
            Customer.objects.filter(pk=purchase.customer_id).update(
                # Rounded in SQL: SQLite keeps the running sum as a binary float, and
                # returning everything must land on 0, not on -1e-13 (a CHECK refuses < 0).
                total_spend=Round(F("total_spend") - item.amount, 2),
                order_count=F("order_count") - (1 if fully and purchase.total > 0 else 0),
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=item,
                customer_id=purchase.customer_id,
                changes={"purchase": purchase.pk, "amount": str(item.amount)},
            )
    except IntegrityError:
        existing = _by_reference(PurchaseReturn, item.external_ref)
        if existing is None or not item.external_ref:
            raise
        return _replay_return(item, existing)
    return RecordedReturn(item, created=True, returned_before=purchase.returned_amount)
