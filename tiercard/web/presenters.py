"""Turn domain objects into what a page shows: labelled, formatted, masked for the viewer.

Templates only print these values. Masking decisions come from ``customers.masking`` and
rights from ``accounts.policy``; nothing here decides either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.accounts.selectors import assignable_owners, owner_filter_choices
from tiercard.audit.models import AuditAction
from tiercard.cards.timeline import TimelineEntry
from tiercard.core import contacts
from tiercard.core.timeutils import age_on, business_today
from tiercard.customers import masking
from tiercard.customers.models import (
    BirthdayCalendar,
    Contact,
    ContactPointKind,
    Customer,
    CustomerStatus,
)
from tiercard.web import display

PHONE_KINDS = (ContactPointKind.MOBILE, ContactPointKind.PHONE)


@dataclass(frozen=True)
class Abilities:
    """What the viewer may do on a card, straight from the policy."""

    edit: bool
    archive: bool
    record_purchase: bool
    log_interaction: bool
    masked: bool
    reveal: bool

    @classmethod
    def of(cls, user: User) -> Abilities:
        masked = masking.masks_for(user)
        return cls(
            edit=policy.can_update_customers(user),
            archive=policy.can_archive_customers(user),
            record_purchase=policy.can_record_purchase(user),
            log_interaction=policy.can_log_interaction(user),
            masked=masked,
            reveal=masked and policy.can_reveal_pii(user),
        )


def user_label(user: User | None) -> str:
    return str(user) if user is not None else ""


def owner_choices(viewer: User) -> list[tuple[int, str]] | None:
    """Account managers the viewer may pick, or None when the viewer cannot choose at all."""
    if viewer.role not in {Role.ADMIN, Role.MANAGER}:
        return None  # sales own what they create; service and marketing create nothing
    users = assignable_owners(viewer).order_by("team__name", "username")
    return [(u.pk, _labelled(u)) for u in users]


def filter_owner_choices(viewer: User) -> list[tuple[int, str]]:
    """Owners offered by the list filter: only for viewers who see more than their own."""
    users = owner_filter_choices(viewer).order_by("team__name", "username")
    return [(u.pk, _labelled(u)) for u in users]


def _labelled(user: User) -> str:
    return f"{user} · {user.team}" if user.team_id else str(user)


# --- List -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    pk: int
    name: str
    pinyin: str
    kind: str
    kind_label: str
    company: str
    phone: str
    registered_on: Any
    order_count: int
    total_spend: str
    last_purchase_at: Any
    owner: str
    status: str
    status_label: str
    tags: list[str]

    @classmethod
    def of(cls, customer: Customer, viewer: User) -> CustomerRow:
        return cls(
            pk=customer.pk,
            name=customer.name,
            pinyin=customer.name_pinyin,
            kind=customer.kind,
            kind_label=str(customer.get_kind_display()),
            company=customer.company_name,
            phone=masking.customer_phone(viewer, customer),
            registered_on=customer.registered_on,
            order_count=customer.order_count,
            total_spend=display.money(customer.total_spend),
            last_purchase_at=customer.last_purchase_at,
            owner=user_label(customer.owner),
            status=customer.status,
            status_label=str(customer.get_status_display()),
            tags=[t.name for t in customer.tags.all()],
        )


# --- Card -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str | Promise
    value: str
    multiline: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    rows: list[Row]

    @property
    def filled(self) -> int:
        return sum(1 for r in self.rows if r.value)


@dataclass(frozen=True)
class ContactValue:
    kind: str
    kind_label: str
    value: str
    href: str = ""


def _label(name: str) -> str | Promise:
    return capfirst(display.customer_field(name).verbose_name)


def _row(customer: Customer, name: str, value: object = None, **kwargs: Any) -> Row:
    if value is None:
        value = getattr(customer, name)
    return Row(_label(name), str(value or ""), **kwargs)


def _choice(customer: Customer, name: str) -> Row:
    raw = getattr(customer, name)
    shown = getattr(customer, f"get_{name}_display")() if raw else ""
    return Row(_label(name), str(shown))


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


def card_sections(customer: Customer) -> list[Section]:
    c = customer
    sections = [
        Section(
            "personal",
            _("Personal information"),
            [
                _choice(c, "gender"),
                Row(_("Birthday"), birthday_text(c)),
                Row(_("Age"), age_text(c)),
                _row(c, "occupation"),
                _row(c, "company_name", "" if c.company_name == c.name else c.company_name),
                _row(c, "position"),
            ],
        ),
        Section(
            "address",
            _("Address"),
            [
                _row(c, "province"),
                _row(c, "city"),
                _row(c, "district"),
                _row(c, "address", multiline=True),
                _row(c, "postal_code"),
            ],
        ),
        Section(
            "business",
            _("Business information"),
            [
                _row(c, "industry"),
                _choice(c, "company_size"),
                _row(c, "credit_code"),
                _row(c, "business_scope", multiline=True),
                _row(c, "main_products", multiline=True),
            ],
        ),
        Section(
            "financial",
            _("Financial information"),
            [
                _choice(c, "credit_rating"),
                Row(
                    _label("credit_limit"),
                    display.money(c.credit_limit) if c.credit_limit is not None else "",
                ),
                _choice(c, "payment_terms"),
                _choice(c, "payment_capacity"),
                _row(c, "credit_notes", multiline=True),
            ],
        ),
        Section(
            "profile",
            _("Needs and preferences"),
            [
                _row(c, "needs", multiline=True),
                _row(c, "interests", multiline=True),
                _row(c, "preferences", multiline=True),
                _row(c, "special_needs", multiline=True),
                _row(c, "notes", multiline=True),
            ],
        ),
        Section(
            "consent",
            _("Consent (PIPL)"),
            [
                Row(_label("consent_data"), _consent(c.consent_data, c.consent_data_at)),
                Row(
                    _label("consent_marketing"),
                    _consent(c.consent_marketing, c.consent_marketing_at),
                ),
                _row(c, "consent_source"),
            ],
        ),
    ]
    # Keep the section that does not fit the kind of customer only when something is in it.
    unfitting = "personal" if c.is_company else "business"
    return [s for s in sections if s.key != unfitting or s.filled]


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
        shown = {
            "mobile": masking.display_plain_phone(viewer, person.mobile),
            "phone": masking.display_plain_phone(viewer, person.phone),
            "email": masking.display_email(viewer, person.email),
            "wechat": contacts.mask_generic(person.wechat)
            if masked and person.wechat
            else person.wechat,
        }
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


def is_archived(customer: Customer) -> bool:
    return customer.status == CustomerStatus.ARCHIVED


# --- Timeline -------------------------------------------------------------------------------

MAX_LINES_SHOWN = 5
MASKED_FIELDS = {"primary_phone": "phone", "primary_email": "email"}
HIDDEN_VALUES = {"owner_id", "team_id"}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str
    show_values: bool = True


@dataclass(frozen=True)
class EntryView:
    kind: str
    at: Any
    title: str
    actor: str
    amount: str = ""
    badge: str = ""
    badge_tone: str = ""
    text: str = ""
    facts: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    more_lines: int = 0
    changes: list[Change] = field(default_factory=list)


def timeline_entries(entries: list[TimelineEntry], viewer: User) -> list[EntryView]:
    return [_entry(e, viewer) for e in entries]


def _entry(entry: TimelineEntry, viewer: User) -> EntryView:
    if entry.kind == "purchase":
        return _purchase_entry(entry)
    if entry.kind == "interaction":
        return _interaction_entry(entry)
    return _change_entry(entry, viewer)


def _purchase_entry(entry: TimelineEntry) -> EntryView:
    p = entry.obj
    lines = list(p.lines.all())
    shown = [
        f"{line.item_name} × {display.quantity(line.quantity)}"
        + (f" · {display.money(line.amount)}" if len(lines) > 1 else "")
        for line in lines[:MAX_LINES_SHOWN]
    ]
    facts = [str(p.get_channel_display()), str(p.get_payment_method_display())]
    if p.store:
        facts.append(p.store)
    if p.discount:
        facts.append(str(_("order discount %(amount)s") % {"amount": display.money(p.discount)}))
    return EntryView(
        kind="purchase",
        at=entry.at,
        title=str(_("Purchase")),
        actor=entry.actor,
        amount=display.money(p.total),
        text=p.note,
        facts=facts,
        lines=shown,
        more_lines=max(len(lines) - MAX_LINES_SHOWN, 0),
    )


OUTCOME_TONES = {"positive": "good", "negative": "bad", "no_answer": "warn", "neutral": ""}


def _interaction_entry(entry: TimelineEntry) -> EntryView:
    i = entry.obj
    facts = []
    if i.contact_id and i.contact:
        facts.append(str(_("with %(name)s") % {"name": i.contact.name}))
    if i.next_step and i.next_step_due:
        facts.append(
            str(
                _("Next step: %(step)s (due %(date)s)")
                % {"step": i.next_step, "date": display.date(i.next_step_due)}
            )
        )
    elif i.next_step:
        facts.append(str(_("Next step: %(step)s") % {"step": i.next_step}))
    return EntryView(
        kind="interaction",
        at=entry.at,
        title=str(i.get_kind_display()),
        actor=entry.actor,
        badge=str(i.get_outcome_display()) if i.outcome else "",
        badge_tone=OUTCOME_TONES.get(i.outcome, ""),
        text=i.summary,
        facts=facts,
    )


def _change_entry(entry: TimelineEntry, viewer: User) -> EntryView:
    event = entry.obj
    changes: list[Change] = []
    if event.action == AuditAction.UPDATE:
        for name, pair in sorted((entry.details or {}).items()):
            changes.append(_change(name, pair, viewer))
    title = {
        AuditAction.CREATE: _("Card created"),
        AuditAction.UPDATE: _("Card updated"),
        AuditAction.ARCHIVE: _("Card archived"),
        AuditAction.RESTORE: _("Card restored"),
    }.get(event.action, entry.title)
    return EntryView(
        kind="change",
        at=entry.at,
        title=str(title),
        actor=entry.actor,
        text=event.note,
        changes=changes,
    )


def _change(name: str, pair: object, viewer: User) -> Change:
    label = _field_label(name)
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return Change(label, "", "", show_values=False)
    old, new = (_shown_value(name, value, viewer) for value in pair)
    return Change(label, old, new, show_values=name not in HIDDEN_VALUES)


def _field_label(name: str) -> str:
    if name == "tags":
        return str(_("Tags"))
    try:
        return str(capfirst(display.customer_field(name.removesuffix("_id")).verbose_name))
    except FieldDoesNotExist:  # an old audit row may name a field that is gone
        return name


def _shown_value(name: str, value: object, viewer: User) -> str:
    if value in (None, "", []):
        return display.EMPTY
    if name in MASKED_FIELDS and masking.masks_for(viewer):
        text = str(value)
        return (
            masking.display_phone(viewer, text)
            if MASKED_FIELDS[name] == "phone"
            else (masking.display_email(viewer, text))
        )
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or display.EMPTY
    try:
        model_field = display.customer_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(model_field.flatchoices or [])
    if choices:
        return str(choices.get(value, value))
    if name == "primary_phone":
        return masking.display_phone(viewer, str(value))
    if name == "credit_limit":
        return display.money(Decimal(str(value)))
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
