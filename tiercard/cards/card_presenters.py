"""What the customer card shows: contact data masked for the viewer, the fields its tier's
template asks for, completeness, totals and contact persons.

Templates only print these values; masking comes from ``customers.masking``, which fields are
shown and required from ``cards.templates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.cards import display
from tiercard.cards.account_manager import required_manager_tier
from tiercard.cards.templates import CardView, FieldState
from tiercard.core.timeutils import age_on, business_today
from tiercard.customers import masking
from tiercard.customers.models import BirthdayCalendar, Contact, ContactPointKind, Customer

PHONE_KINDS = (ContactPointKind.MOBILE, ContactPointKind.PHONE)


@dataclass(frozen=True)
class ContactValue:
    kind: str
    kind_label: str
    value: str
    href: str = ""


def contact_values(
    customer: Customer, viewer: User, revealed: dict[str, list[str]] | None = None
) -> list[ContactValue]:
    """Phones, emails, WeChat and QQ as this viewer may see them (masked unless revealed)."""
    labels = dict(ContactPointKind.choices)
    result: list[ContactValue] = []
    if revealed is not None:
        for kind in ContactPointKind.values:
            for value in revealed.get(kind, []):
                result.append(ContactValue(kind, str(labels[kind]), value, _href(kind, value)))
        return result
    masked = masking.masks_for(viewer)
    for point in customer.contact_points.all():
        shown = masking.display_contact_point(viewer, point)
        href = "" if masked else _href(point.kind, point.value)
        result.append(ContactValue(point.kind, str(labels[point.kind]), shown, href))
    order = {k: i for i, k in enumerate(ContactPointKind.values)}
    return sorted(result, key=lambda c: order.get(c.kind, 99))


def _href(kind: str, value: str) -> str:
    if kind in PHONE_KINDS:
        return "tel:" + value
    if kind == ContactPointKind.EMAIL:
        return "mailto:" + value
    return ""


def birthday_text(customer: Customer) -> str:
    if customer.birthday_calendar == BirthdayCalendar.LUNAR and customer.lunar_birth_month:
        text = display.lunar_date(
            customer.lunar_birth_month,
            customer.lunar_birth_day or 1,
            customer.lunar_birth_leap,
        )
        if customer.birthday:
            solar = display.date(customer.birthday)
            text += f"（{solar}）" if display.chinese_ui() else f" ({solar})"
        return text
    return display.date(customer.birthday) if customer.birthday else ""


def age_text(customer: Customer) -> str:
    if not customer.birthday:
        return ""
    age = age_on(customer.birthday, business_today())
    return str(_("%(age)d years") % {"age": age})


def _consent(flag: bool, at: Any) -> str:
    if not flag:
        return str(_("No"))
    if at:
        return str(_("Yes, since %(date)s") % {"date": display.date(at.date())})
    return str(_("Yes"))


@dataclass(frozen=True)
class Totals:
    order_count: int
    total_spend: str
    average_order: str
    first_purchase_at: Any
    last_purchase_at: Any
    last_interaction_at: Any


def totals(customer: Customer) -> Totals:
    average = (
        display.money(customer.total_spend / Decimal(customer.order_count))
        if customer.order_count
        else display.EMPTY
    )
    return Totals(
        order_count=customer.order_count,
        total_spend=display.money(customer.total_spend),
        average_order=average,
        first_purchase_at=customer.first_purchase_at,
        last_purchase_at=customer.last_purchase_at,
        last_interaction_at=customer.last_interaction_at,
    )


@dataclass(frozen=True)
class ContactPersonView:
    pk: int
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
    masked: bool = False
    revealed: bool = False


def contact_persons(
    customer: Customer, viewer: User, revealed: dict[int, dict[str, str]] | None = None
) -> list[ContactPersonView]:
    """Contact persons as this viewer may see them; ``revealed`` maps a person's id to the
    unmasked values ``contact_reveal_pii`` returned."""
    return [contact_person(p, viewer, (revealed or {}).get(p.pk)) for p in customer.contacts.all()]


def contact_person(
    person: Contact, viewer: User, revealed: dict[str, str] | None = None
) -> ContactPersonView:
    masked = masking.masks_for(viewer) and revealed is None
    has_values = any((person.mobile, person.phone, person.email, person.wechat))
    if revealed is not None:
        shown = {key: revealed.get(key, "") for key in ("mobile", "phone", "email", "wechat")}
    else:
        shown = masking.display_contact_person(viewer, person)
    return ContactPersonView(
        pk=person.pk,
        name=person.name,
        title=person.title,
        department=person.department,
        is_decision_maker=person.is_decision_maker,
        is_primary=person.is_primary,
        notes=person.notes,
        masked=masked and has_values,
        revealed=revealed is not None,
        **shown,
    )


# --- Fields by the tier's template -------------------------------------------------------------

# Shown elsewhere on the card: contact points in the contact box at the top, contact persons in
# their own panel. They still count for completeness and the to-do list.
CONTACT_FIELDS = frozenset({"phone", "email", "wechat"})
PERSON_FIELDS = frozenset({"contact_person", "decision_maker"})
MULTILINE = frozenset(
    {"address", "business_scope", "main_products", "credit_notes", "needs", "interests"}
    | {"preferences", "special_needs"}
)


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str | Promise
    value: str
    multiline: bool
    required: bool
    edit_href: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str | Promise
    rows: list[FieldRow]
    filled: int
    total: int


@dataclass(frozen=True)
class Todo:
    label: str | Promise
    section: str | Promise
    required: bool
    href: str


@dataclass(frozen=True)
class Completeness:
    percent: int
    filled: int
    total: int
    tone: str  # good / warn / bad, for the meter's colour
    todo: list[Todo]  # required and missing
    optional: list[Todo]  # missing, not required


def field_label(name: str, fallback: str | Promise) -> str | Promise:
    """The customer model's own (translated) name of a field, else the catalogue's label."""
    try:
        return capfirst(display.customer_field(name).verbose_name)
    except FieldDoesNotExist:  # a catalogue field that is not a column (phone, a contact person)
        return fallback


def field_value(customer: Customer, name: str) -> str:
    """One catalogue field of the card, formatted for reading ("" when empty)."""
    if name == "birthday":
        return birthday_text(customer)
    if name == "credit_limit":
        return display.money(customer.credit_limit) if customer.credit_limit is not None else ""
    if name in {"consent_data", "consent_marketing"}:
        flag = getattr(customer, name)
        return _consent(flag, getattr(customer, f"{name}_at")) if flag else ""
    if name == "company_name" and customer.company_name == customer.name:
        return ""
    display_of = getattr(customer, f"get_{name}_display", None)
    raw = getattr(customer, name)
    if display_of is not None:
        return str(display_of()) if raw else ""
    return str(raw or "")


def edit_href(customer: Customer, state: FieldState) -> str:
    """Where the user fills in a field: the edit form at that field, or a new contact person."""
    if not state.form_field:
        return f"/customers/{customer.pk}/contacts/new/"
    return f"/customers/{customer.pk}/edit/#id_{state.form_field}"


def template_sections(customer: Customer, view: CardView) -> list[SectionView]:
    """The template's field sections in priority order, without the fields shown elsewhere."""
    result = []
    for section in view.sections:
        rows = [
            FieldRow(
                name=f.name,
                label=field_label(f.name, f.label),
                value=field_value(customer, f.name),
                multiline=f.name in MULTILINE,
                required=f.required,
                edit_href=edit_href(customer, f),
            )
            for f in section.fields
            if f.name not in CONTACT_FIELDS | PERSON_FIELDS
        ]
        if rows:
            result.append(
                SectionView(section.key, section.title, rows, section.filled, len(section.fields))
            )
    return result


def extra_rows(customer: Customer, view: CardView) -> list[FieldRow]:
    """Values the card holds that this tier's template does not show (nothing is hidden)."""
    return [
        FieldRow(
            name=f.name,
            label=field_label(f.name, f.label),
            value=field_value(customer, f.name),
            multiline=f.name in MULTILINE,
            required=False,
            edit_href=edit_href(customer, f),
        )
        for f in view.extra
        if f.name not in CONTACT_FIELDS | PERSON_FIELDS
    ]


def completeness(customer: Customer, view: CardView) -> Completeness:
    titles = {s.key: s.title for s in view.sections}

    def todo(f: FieldState) -> Todo:
        label = field_label(f.name, f.label)
        return Todo(label, titles.get(f.section, ""), f.required, edit_href(customer, f))

    percent = view.percent
    return Completeness(
        percent=percent,
        filled=view.filled,
        total=view.total,
        tone="good" if percent >= 80 else ("warn" if percent >= 50 else "bad"),
        todo=[todo(f) for f in view.todo],
        optional=[todo(f) for f in view.missing if not f.required],
    )


def manager_needed_text(customer: Customer) -> str:
    """A note when the customer's tier asks for a dedicated account manager and the card has
    none; "" otherwise. Read from the card's copy of its tier ("" is the lowest tier)."""
    if customer.owner_id is not None:
        return ""
    tier = required_manager_tier(customer)
    if not tier:
        return ""
    note = _("%(tier)s customers have a dedicated account manager: assign one.")
    return str(note % {"tier": tier})
