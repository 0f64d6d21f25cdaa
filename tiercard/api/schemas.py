"""Request and response schemas. Inputs check shape only (types, lengths, unknown keys);
every business rule — phone formats, dates, amounts, scope, ownership — is the service's.

Text lengths come from the model fields, so the schema and the database cannot drift apart.
Choice fields list their values in the OpenAPI document; the service validates them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from ninja import Schema
from pydantic import ConfigDict, Field

from tiercard.api.idempotency import REFERENCE_HELP
from tiercard.api.types import AmountIn, LocalDateTime, Money, Quantity, TextOrList
from tiercard.customers.models import (
    BirthdayCalendar,
    CompanySize,
    Contact,
    CreditRating,
    Customer,
    CustomerKind,
    CustomerStatus,
    Gender,
    PaymentCapacity,
    PaymentTerms,
    SourceChannel,
)
from tiercard.interactions.models import Interaction, InteractionKind, InteractionOutcome
from tiercard.sales.models import PaymentMethod, Purchase, PurchaseLine, SalesChannel
from tiercard.sales.services import MAX_LINES
from tiercard.servicedesk.models import ServiceTicket, TicketKind

RAW_PHONE_LENGTH = 40  # input as typed ("+86 138-1234-5678"); the service normalises it
MAX_DB_INT = 2**63 - 1


def _id(**extra: Any) -> Any:
    """An optional reference by id; beyond 64 bits it could only overflow the database driver."""
    return Field(None, ge=1, le=MAX_DB_INT, **extra)


def _max_length(model: type[models.Model], name: str) -> int | None:
    field = model._meta.get_field(name)
    return field.max_length if isinstance(field, models.Field) else None


def _text(model: type[models.Model], name: str, **extra: Any) -> Any:
    return Field(None, max_length=_max_length(model, name), **extra)


def _choice(choices: type[models.TextChoices], **extra: Any) -> Any:
    # null is accepted too (it clears the field); the service validates the value.
    return Field(None, json_schema_extra={"enum": [*choices.values, None]}, **extra)


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- customers ---------------------------------------------------------------------------------


class CustomerFields(InputSchema):
    """Every field a caller may set on a customer card (``customers.services.ALL_KEYS``)."""

    kind: str | None = _choice(CustomerKind)
    name_en: str | None = _text(Customer, "name_en")
    external_id: str | None = _text(Customer, "external_id")
    gender: str | None = _choice(Gender)
    birthday: str | None = Field(
        None, max_length=40, description="2024-05-01; 2024/5/1 and 2024年5月1日 also accepted."
    )
    birthday_calendar: str | None = _choice(BirthdayCalendar)
    lunar_birth_year: int | None = None
    lunar_birth_month: int | None = None
    lunar_birth_day: int | None = None
    lunar_birth_leap: bool | None = None
    occupation: str | None = _text(Customer, "occupation")
    company_name: str | None = _text(Customer, "company_name")
    position: str | None = _text(Customer, "position")
    phones: TextOrList | None = Field(
        None, description="Phone numbers; the first mobile becomes the primary phone."
    )
    emails: TextOrList | None = None
    wechat: str | None = Field(None, max_length=RAW_PHONE_LENGTH)
    qq: str | None = Field(None, max_length=RAW_PHONE_LENGTH)
    province: str | None = _text(Customer, "province")
    city: str | None = _text(Customer, "city")
    district: str | None = _text(Customer, "district")
    address: str | None = _text(Customer, "address")
    postal_code: str | None = _text(Customer, "postal_code")
    industry: str | None = _text(Customer, "industry")
    company_size: str | None = _choice(CompanySize)
    business_scope: str | None = _text(Customer, "business_scope")
    main_products: str | None = _text(Customer, "main_products")
    credit_code: str | None = Field(None, max_length=40)
    credit_rating: str | None = _choice(CreditRating)
    credit_limit: AmountIn | None = None
    payment_terms: str | None = _choice(PaymentTerms)
    payment_capacity: str | None = _choice(PaymentCapacity)
    credit_notes: str | None = _text(Customer, "credit_notes")
    needs: str | None = _text(Customer, "needs")
    interests: str | None = _text(Customer, "interests")
    preferences: str | None = _text(Customer, "preferences")
    special_needs: str | None = _text(Customer, "special_needs")
    notes: str | None = _text(Customer, "notes")
    source_channel: str | None = _choice(SourceChannel)
    registered_on: str | None = Field(None, max_length=40, description="A date, as birthday.")
    owner_id: int | None = _id(description="Account manager; defaults to the caller.")
    status: str | None = _choice(CustomerStatus)
    tags: TextOrList | None = None
    consent_data: bool | None = None
    consent_marketing: bool | None = None
    consent_source: str | None = _text(Customer, "consent_source")


class CustomerCreateIn(CustomerFields):
    name: str = Field(max_length=_max_length(Customer, "name"))


class CustomerPatchIn(CustomerFields):
    name: str | None = _text(Customer, "name")
    version: int | None = _id(
        description="The version you edited; a stale one is refused with 409 conflict."
    )


class ArchiveIn(InputSchema):
    reason: str = Field("", max_length=200)


class Ref(Schema):
    id: int
    name: str


class ContactPointOut(Schema):
    id: int
    kind: str
    value: str = Field(description="Masked (138****5678) for roles that see masked data.")
    label: str
    is_primary: bool
    opted_out: bool


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    department: str
    mobile: str
    phone: str
    email: str
    wechat: str
    is_decision_maker: bool
    is_primary: bool
    notes: str
    created_at: LocalDateTime


class CustomerListItem(Schema):
    id: int
    name: str
    kind: str
    status: str
    city: str
    phone: str
    email: str
    owner: Ref | None
    tags: list[str]
    order_count: int
    total_spend: Money
    last_purchase_at: LocalDateTime | None
    registered_on: dt.date
    version: int


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    name_en: str
    external_id: str
    gender: str
    birthday: dt.date | None
    birthday_calendar: str
    lunar_birth_month: int | None
    lunar_birth_day: int | None
    lunar_birth_leap: bool
    occupation: str
    company_name: str
    position: str
    phone: str = Field(description="Primary phone, masked for roles that see masked data.")
    email: str
    province: str
    city: str
    district: str
    address: str
    postal_code: str
    industry: str
    company_size: str
    business_scope: str
    main_products: str
    credit_code: str
    credit_rating: str
    credit_limit: Money | None
    payment_terms: str
    payment_capacity: str
    credit_notes: str
    needs: str
    interests: str
    preferences: str
    special_needs: str
    notes: str
    source_channel: str
    registered_on: dt.date
    owner: Ref | None
    team: Ref | None
    tags: list[str]
    status: str
    consent_data: bool
    consent_data_at: LocalDateTime | None
    consent_marketing: bool
    consent_marketing_at: LocalDateTime | None
    consent_source: str
    order_count: int
    total_spend: Money
    first_purchase_at: LocalDateTime | None
    last_purchase_at: LocalDateTime | None
    last_interaction_at: LocalDateTime | None
    merged_into_id: int | None
    contact_points: list[ContactPointOut]
    contacts: list[ContactOut]
    pii_masked: bool = Field(description="True when contact values above are masked.")
    version: int
    created_at: LocalDateTime
    updated_at: LocalDateTime


class CustomerPage(Schema):
    items: list[CustomerListItem]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")
    count: int | None = Field(description="Total matching rows, only when with_count=true.")


class RevealOut(Schema):
    customer_id: int
    contact_points: dict[str, list[str]] = Field(
        description="Unmasked values by kind (mobile, phone, email, wechat, qq)."
    )


# --- contact persons ---------------------------------------------------------------------------


class ContactRevealOut(Schema):
    contact_id: int
    values: dict[str, str] = Field(description="Unmasked mobile, phone, email and WeChat.")


class ContactFields(InputSchema):
    title: str | None = _text(Contact, "title")
    department: str | None = _text(Contact, "department")
    mobile: str | None = Field(None, max_length=RAW_PHONE_LENGTH)
    phone: str | None = Field(None, max_length=RAW_PHONE_LENGTH)
    email: str | None = _text(Contact, "email")
    wechat: str | None = Field(None, max_length=RAW_PHONE_LENGTH)
    is_decision_maker: bool | None = None
    is_primary: bool | None = None
    notes: str | None = _text(Contact, "notes")


class ContactCreateIn(ContactFields):
    name: str = Field(max_length=_max_length(Contact, "name"))


class ContactPatchIn(ContactFields):
    name: str | None = _text(Contact, "name")


# --- purchases ---------------------------------------------------------------------------------


class PurchaseLineIn(InputSchema):
    sku: str | None = _text(PurchaseLine, "sku")
    item_name: str | None = _text(PurchaseLine, "item_name")
    quantity: AmountIn | None = None
    unit_price: AmountIn | None = None
    discount: AmountIn | None = None


class PurchaseIn(InputSchema):
    occurred_at: str | None = Field(
        None, max_length=40, description="ISO 8601; without an offset it is business time."
    )
    external_ref: str | None = Field(
        None,
        max_length=_max_length(Purchase, "external_ref"),
        description=REFERENCE_HELP,
    )
    channel: str | None = _choice(SalesChannel)
    store: str | None = _text(Purchase, "store")
    sales_rep_id: int | None = _id()
    payment_method: str | None = _choice(PaymentMethod)
    discount: AmountIn | None = None
    tier_discount: bool | None = Field(
        None,
        description="Take the discount of the customer's tier (held before this purchase) "
        "off the subtotal as the order discount; leave `discount` out then.",
    )
    note: str | None = _text(Purchase, "note")
    lines: list[PurchaseLineIn] | None = Field(None, max_length=MAX_LINES)


class PurchaseLineOut(Schema):
    id: int
    sku: str
    item_name: str
    quantity: Quantity
    unit_price: Money
    discount: Money
    amount: Money


class PurchaseOut(Schema):
    id: int
    customer_id: int
    occurred_at: LocalDateTime
    external_ref: str
    channel: str
    store: str
    sales_rep: Ref | None
    payment_method: str
    subtotal: Money
    discount: Money
    tier_discount_percent: Decimal | None = Field(
        None, description="The tier's percent the order discount was taken at; null if not."
    )
    total: Money
    note: str
    lines: list[PurchaseLineOut]
    created_at: LocalDateTime


class PurchasePage(Schema):
    items: list[PurchaseOut]
    next: str | None


# --- interactions ------------------------------------------------------------------------------


class InteractionIn(InputSchema):
    kind: str | None = _choice(InteractionKind)
    occurred_at: str | None = Field(None, max_length=40)
    contact_id: int | None = _id()
    summary: str | None = _text(Interaction, "summary")
    outcome: str | None = _choice(InteractionOutcome)
    next_step: str | None = _text(Interaction, "next_step")
    next_step_due: str | None = Field(None, max_length=40)


class InteractionOut(Schema):
    id: int
    customer_id: int
    kind: str
    occurred_at: LocalDateTime
    actor: Ref | None
    contact: Ref | None
    summary: str
    outcome: str
    next_step: str
    next_step_due: dt.date | None
    created_at: LocalDateTime


class InteractionPage(Schema):
    items: list[InteractionOut]
    next: str | None


# --- service tickets ---------------------------------------------------------------------------


class TicketIn(InputSchema):
    kind: str | None = _choice(TicketKind)
    subject: str | None = _text(ServiceTicket, "subject")
    detail: str | None = _text(ServiceTicket, "detail")
    opened_at: str | None = Field(
        None,
        max_length=40,
        description="When the customer got in touch; ISO 8601, without an offset it is "
        "business time. Empty: now. The response time counts from here.",
    )
    assignee_id: int | None = _id(
        description="Who works the ticket; defaults to the account manager. Naming someone "
        "else needs the right to assign tickets."
    )
    notify_customer: bool = Field(
        False,
        description="Queue the customer's acknowledgement (e-mailed with consent): the ticket "
        "number, when it was received and the promised response time.",
    )


class TicketReplyIn(InputSchema):
    kind: str | None = _choice(InteractionKind)
    summary: str | None = _text(Interaction, "summary")
    occurred_at: str | None = Field(
        None, max_length=40, description="When the reply was made; empty: now."
    )


class TicketResolveIn(InputSchema):
    resolution: str = Field("", max_length=_max_length(ServiceTicket, "resolution"))


class TicketReopenIn(InputSchema):
    reason: str = Field("", max_length=500, description="Kept in the audit log.")


class TicketAssignIn(InputSchema):
    assignee_id: int = Field(ge=1, le=MAX_DB_INT)


class TicketOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    kind: str
    subject: str
    detail: str
    status: str = Field(description="open (awaiting a response), responded or resolved.")
    tier: str = Field(description="The tier the ticket was opened under; later changes keep it.")
    response_hours: int | None = Field(description="The tier's response time; null: none.")
    priority: bool
    opened_at: LocalDateTime
    respond_by: LocalDateTime | None
    overdue: bool = Field(description="Not answered and past `respond_by`, at the time read.")
    responded_at: LocalDateTime | None
    resolved_at: LocalDateTime | None
    resolution: str
    assignee_id: int | None
    assignee: Ref | None


class TicketPage(Schema):
    items: list[TicketOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class TicketReplyOut(Schema):
    ticket: TicketOut
    interaction_id: int = Field(description="The reply, logged as an interaction.")


class QueueFiguresOut(Schema):
    active: int = Field(description="Not resolved.")
    open: int = Field(description="Awaiting a first response.")
    overdue: int
    priority_open: int
    answered_30d: int = Field(description="Tickets with a promised time answered in 30 days.")
    on_time_30d: int = Field(description="Of those, answered by the promised time.")
    on_time_percent: int | None = Field(description="null when none was answered.")


# --- timeline and me ---------------------------------------------------------------------------


class TimelineEntryOut(Schema):
    kind: str = Field(description="purchase, points, tier, interaction, note or change")
    at: LocalDateTime
    title: str
    actor: str
    object_id: int
    details: dict[str, Any]


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    team: Ref | None
    language: str
    pii_masked: bool
    permissions: dict[str, bool]
