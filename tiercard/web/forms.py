"""Web forms. They check shape only (types, lengths, known choices); every business rule is
checked by the service they feed, whose field errors are mapped back with :func:`apply_errors`.

Field names are the service's keys, so an error on ``phones`` lands beside the phones box.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import login_guard
from tiercard.customers.models import (
    BirthdayCalendar,
    CompanySize,
    Contact,
    ContactPointKind,
    CreditRating,
    Customer,
    CustomerKind,
    CustomerStatus,
    Gender,
    PaymentCapacity,
    PaymentTerms,
    SourceChannel,
)
from tiercard.interactions.models import InteractionKind, InteractionOutcome
from tiercard.sales.models import PaymentMethod, SalesChannel
from tiercard.web import display

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_PURCHASE_ROWS = 50


def apply_errors(form: forms.Form, fields: Mapping[str, Sequence[str | Promise]]) -> None:
    """Put a service's field errors onto the form: beside the field, or at the top."""
    for name, messages in fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, str(message))


def _max(field_name: str) -> int:
    length = display.customer_field(field_name).max_length
    return int(length) if length else 2000


def _text(field_name: str, *, rows: int = 0, **kwargs: Any) -> forms.CharField:
    """A free-text field as long as the model column, labelled with the model's name."""
    label = kwargs.pop("label", capfirst(display.customer_field(field_name).verbose_name))
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label, max_length=_max(field_name), required=False, widget=widget, **kwargs
    )


def _choice(
    field_name: str, choices: Iterable[tuple[str, Any]], **kwargs: Any
) -> forms.ChoiceField:
    label = kwargs.pop("label", capfirst(display.customer_field(field_name).verbose_name))
    return forms.ChoiceField(label=label, choices=list(choices), required=False, **kwargs)


class ListTextField(forms.CharField):
    """Several values, one per line or separated by commas. Compared as lists, so re-saving a
    form whose browser turned new lines into CRLF does not count as a change."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return display.split_list(initial) != display.split_list(self.to_python(data))


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_LOCAL)


# --- Customer list --------------------------------------------------------------------------


STATUS_FILTERS: list[tuple[str, Any]] = [
    ("", _("Current (not archived)")),
    *CustomerStatus.choices,
    ("all", _("All, archived included")),
]


BIRTHDAY_KEYS = (
    "birthday_calendar",
    "birthday",
    "lunar_birth_year",
    "lunar_birth_month",
    "lunar_birth_day",
    "lunar_birth_leap",
)


_NOW_HELP = _("Leave empty for now.")


def moment_field(
    label: StrOrPromise | None = None, help_text: StrOrPromise = _NOW_HELP
) -> forms.CharField:
    """When something happened, as typed (the service parses and checks it); empty = now."""
    return forms.CharField(
        label=label or _("Time"),
        required=False,
        max_length=40,
        widget=LocalDateTimeInput(),
        help_text=help_text,
    )


class CustomerForm(forms.Form):
    """Every key ``customer_create`` / ``customer_update`` accept (see ``ALL_KEYS``)."""

    kind = forms.ChoiceField(
        label=_("Customer type"),
        choices=CustomerKind.choices,
        widget=forms.RadioSelect,
        initial=CustomerKind.PERSON,
    )
    name = forms.CharField(label=_("Name"), max_length=_max("name"))
    name_en = _text("name_en")
    external_id = _text("external_id", help_text=_("Member or card number in another system."))
    status = _choice(
        "status", [c for c in CustomerStatus.choices if c[0] != CustomerStatus.ARCHIVED]
    )
    source_channel = _choice("source_channel", SourceChannel.choices)
    registered_on = forms.CharField(
        label=_("Registration date"),
        required=False,
        max_length=20,
        # A text field (dates typed the Chinese way are accepted too): say the format, since
        # the placeholder is gone once typing starts.
        help_text=_("Format: 2024-05-01"),
        widget=forms.TextInput(attrs={"placeholder": "2024-05-01", "autocomplete": "off"}),
    )
    owner_id = forms.ChoiceField(label=_("Account manager"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )

    # Contact
    phones = ListTextField(
        label=_("Phones"),
        required=False,
        max_length=500,
        help_text=_("Mobile or landline; several separated by commas or new lines."),
    )
    emails = ListTextField(
        label=_("Emails"),
        required=False,
        max_length=1000,
        help_text=_("Several separated by commas or new lines."),
    )
    wechat = forms.CharField(label=_("WeChat id"), required=False, max_length=40)
    qq = forms.CharField(label=_("QQ"), required=False, max_length=20)

    # Personal
    gender = _choice("gender", Gender.choices)
    birthday_calendar = forms.ChoiceField(
        label=_("Birthday calendar"),
        choices=BirthdayCalendar.choices,
        widget=forms.RadioSelect,
        initial=BirthdayCalendar.SOLAR,
        required=False,
    )
    birthday = forms.CharField(
        label=_("Birthday"),
        required=False,
        max_length=20,
        help_text=_("Format: 2024-05-01"),
        widget=forms.TextInput(attrs={"placeholder": "1985-03-02", "autocomplete": "off"}),
    )
    lunar_birth_year = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        help_text=_("Optional; the solar birthday and age need it."),
        widget=forms.NumberInput(attrs={"placeholder": "1985", "inputmode": "numeric"}),
    )
    lunar_birth_month = forms.TypedChoiceField(label=_("Lunar month"), required=False, coerce=int)
    lunar_birth_day = forms.TypedChoiceField(label=_("Lunar day"), required=False, coerce=int)
    lunar_birth_leap = forms.BooleanField(label=_("Leap month"), required=False)
    occupation = _text("occupation")
    company_name = _text("company_name")
    position = _text("position")

    # Address
    province = _text("province")
    city = _text("city")
    district = _text("district")
    address = _text("address")
    postal_code = _text("postal_code")

    # Business
    industry = _text("industry")
    company_size = _choice("company_size", CompanySize.choices)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), required=False, max_length=30
    )
    business_scope = _text("business_scope", rows=3)
    main_products = _text("main_products", rows=3)

    # Financial
    credit_rating = _choice("credit_rating", CreditRating.choices)
    credit_limit = forms.CharField(
        label=_("Credit limit"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "50000.00", "inputmode": "decimal"}),
    )
    payment_terms = _choice("payment_terms", PaymentTerms.choices)
    payment_capacity = _choice("payment_capacity", PaymentCapacity.choices)
    credit_notes = _text("credit_notes", rows=3)

    # Profile
    needs = _text("needs", rows=3)
    interests = _text("interests", rows=2)
    preferences = _text("preferences", rows=2)
    special_needs = _text("special_needs", rows=2)
    notes = _text("notes", rows=4)

    # Consent (PIPL)
    consent_data = forms.BooleanField(label=_("Consents to data processing"), required=False)
    consent_marketing = forms.BooleanField(label=_("Consents to marketing"), required=False)
    consent_source = _text("consent_source", help_text=_("E.g. paper form, mini program."))

    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    SECTIONS: tuple[tuple[str, Promise, tuple[str, ...]], ...] = (
        (
            "basic",
            _("Basic information"),
            (
                "kind",
                "name",
                "name_en",
                "status",
                "owner_id",
                "source_channel",
                "registered_on",
                "external_id",
                "tags",
            ),
        ),
        ("contact", _("Contact"), ("phones", "emails", "wechat", "qq")),
        (
            "personal",
            _("Personal information"),
            ("gender", "occupation", "company_name", "position"),
        ),
        ("address", _("Address"), ("province", "city", "district", "postal_code", "address")),
        (
            "business",
            _("Business information"),
            (
                "industry",
                "company_size",
                "credit_code",
                "business_scope",
                "main_products",
            ),
        ),
        (
            "financial",
            _("Financial information"),
            (
                "credit_rating",
                "credit_limit",
                "payment_terms",
                "payment_capacity",
                "credit_notes",
            ),
        ),
        (
            "profile",
            _("Needs and preferences"),
            ("needs", "interests", "preferences", "special_needs", "notes"),
        ),
        ("consent", _("Consent (PIPL)"), ("consent_data", "consent_marketing", "consent_source")),
    )

    def __init__(
        self,
        *args: Any,
        owners: Sequence[tuple[int, str]] | None = None,
        owner_optional: bool = False,
        editing: bool = False,
        archived: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if archived:
            # An archived card comes back only through "restore", which has its own right.
            del self.fields["status"]
        if owners is None:
            del self.fields["owner_id"]
        else:
            owner_field = self.fields["owner_id"]
            assert isinstance(owner_field, forms.ChoiceField)
            blank = [("", _("Unassigned"))] if owner_optional else []
            owner_field.choices = [*blank, *((str(pk), label) for pk, label in owners)]
            owner_field.required = not owner_optional
        for name, choices in (
            ("lunar_birth_month", display.lunar_month_choices()),
            ("lunar_birth_day", display.lunar_day_choices()),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *choices]
        if not editing:
            del self.fields["expected_version"]

    WIDE = frozenset({"address"})

    def sections(self) -> list[tuple[str, Promise, list[tuple[forms.BoundField, bool]]]]:
        """(key, title, [(field, spans the whole row)]) in the order the page shows them."""
        return [
            (
                key,
                title,
                [
                    (self[name], name in self.WIDE or self[name].widget_type == "textarea")
                    for name in names
                    if name in self.fields
                ],
            )
            for key, title, names in self.SECTIONS
        ]

    def birthday_fields(self) -> dict[str, forms.BoundField]:
        return {name: self[name] for name in BIRTHDAY_KEYS}

    def service_data(self) -> dict[str, Any]:
        """What to send to the service: everything on create, only what changed on edit.

        Sending unchanged contact lists would make the service rewrite them; the birthday
        keys travel together because the service reads them as one value.
        """
        data = self.cleaned_data
        if not self.editing:
            return {
                k: v
                for k, v in data.items()
                if k != "expected_version" and v not in ("", None, False)
            }
        changed = set(self.changed_data)
        if changed & set(BIRTHDAY_KEYS):
            changed |= set(BIRTHDAY_KEYS)
        changed.discard("expected_version")
        return {k: data[k] for k in self.fields if k in changed}


# --- Contact persons ------------------------------------------------------------------------


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    title = forms.CharField(label=_("Role / title"), max_length=60, required=False)
    department = forms.CharField(label=_("Department"), max_length=60, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=30, required=False)
    phone = forms.CharField(label=_("Landline"), max_length=30, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat id"), max_length=40, required=False)
    is_decision_maker = forms.BooleanField(label=_("Decision maker"), required=False)
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Quick actions --------------------------------------------------------------------------


class PurchaseForm(forms.Form):
    # Empty means "now" to the second: a prefilled minute would file a just-recorded sale
    # before events of the same minute.
    occurred_at = moment_field()
    channel = forms.ChoiceField(label=_("Channel"), choices=SalesChannel.choices)
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    store = forms.CharField(label=_("Store"), max_length=60, required=False)
    discount = forms.CharField(
        label=_("Order discount"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    tier_discount = forms.BooleanField(label=_("Apply the tier discount"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # One per rendered form: a second submit of the same form is recognised and not recorded.
    external_ref = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, discount: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if discount:
            self.fields["tier_discount"].help_text = discount

    @classmethod
    def blank(cls, discount: str = "") -> PurchaseForm:
        return cls(
            initial={
                "external_ref": f"web-{uuid.uuid4().hex}",
                "channel": SalesChannel.STORE,
                "payment_method": PaymentMethod.WECHAT_PAY,
            },
            discount=discount,
        )


class PurchaseLineForm(forms.Form):
    item_name = forms.CharField(label=_("Item"), max_length=120, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=40, required=False)
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=20,
        required=False,
        initial="1",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit_price = forms.CharField(
        label=_("Unit price"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    discount = forms.CharField(
        label=_("Line discount"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(k) for k in ("item_name", "sku", "unit_price", "discount"))


def line_prefix(index: int) -> str:
    return f"line-{index}"


def bound_lines(data: Mapping[str, Any], minimum: int) -> list[PurchaseLineForm]:
    """The line rows a form posted (``line-N-*``), at least ``minimum`` rows."""
    count = minimum
    for index in range(MAX_PURCHASE_ROWS):
        if any(f"{line_prefix(index)}-{key}" in data for key in PurchaseLineForm.base_fields):
            count = max(count, index + 1)
    return [PurchaseLineForm(data, prefix=line_prefix(i)) for i in range(count)]


def blank_lines(count: int, start: int = 0) -> list[PurchaseLineForm]:
    return [PurchaseLineForm(prefix=line_prefix(i)) for i in range(start, start + count)]


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=InteractionKind.choices)
    occurred_at = moment_field()
    contact_id = forms.ChoiceField(label=_("Contact person"), required=False)
    summary = forms.CharField(
        label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=InteractionOutcome.choices, required=False
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_due = forms.CharField(
        label=_("Due"),
        max_length=20,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, contacts: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if contacts:
            field = self.fields["contact_id"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *((str(pk), label) for pk, label in contacts)]
        else:
            del self.fields["contact_id"]

    @classmethod
    def blank(cls, contacts: Sequence[tuple[int, str]] = ()) -> InteractionForm:
        return cls(initial={"kind": InteractionKind.CALL}, contacts=contacts)


class ArchiveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LanguageForm(forms.Form):
    language = forms.CharField(max_length=10)
    next = forms.CharField(max_length=2000, required=False)


# --- Between forms and services -------------------------------------------------------------


def customer_initial(customer: Customer) -> dict[str, Any]:
    """The edit form's starting values, from the card as stored."""
    initial: dict[str, Any] = {
        name: getattr(customer, name)
        for name in CustomerForm.base_fields
        if name not in {"owner_id", "tags", "phones", "emails", "wechat", "qq"}
        and hasattr(customer, name)
    }
    points: dict[str, list[str]] = {}
    for point in customer.contact_points.all():
        points.setdefault(point.kind, []).append(point.value)
    initial.update(
        registered_on=customer.registered_on.isoformat() if customer.registered_on else "",
        birthday=customer.birthday.isoformat() if customer.birthday else "",
        lunar_birth_year=(
            display.lunar_year_of(customer.birthday)
            if customer.birthday_calendar == BirthdayCalendar.LUNAR
            else None
        ),
        lunar_birth_month=customer.lunar_birth_month or "",
        lunar_birth_day=customer.lunar_birth_day or "",
        credit_limit=str(customer.credit_limit) if customer.credit_limit is not None else "",
        owner_id=str(customer.owner_id or ""),
        tags=", ".join(t.name for t in customer.tags.all()),
        phones="\n".join(
            points.get(ContactPointKind.MOBILE, []) + points.get(ContactPointKind.PHONE, [])
        ),
        emails="\n".join(points.get(ContactPointKind.EMAIL, [])),
        wechat=next(iter(points.get(ContactPointKind.WECHAT, [])), ""),
        qq=next(iter(points.get(ContactPointKind.QQ, [])), ""),
        expected_version=customer.version,
    )
    return initial


def purchase_data(
    form: PurchaseForm, lines: Sequence[PurchaseLineForm]
) -> tuple[dict[str, Any], list[int]]:
    """The service's input, and for each line sent the index of the row it came from."""
    data = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
    rows = [i for i, line in enumerate(lines) if not line.is_blank()]
    data["lines"] = [
        {k: v for k, v in lines[i].cleaned_data.items() if v not in ("", None)} for i in rows
    ]
    return data, rows


def apply_purchase_errors(
    form: PurchaseForm,
    lines: Sequence[PurchaseLineForm],
    rows: Sequence[int],
    fields: Mapping[str, Sequence[str | Promise]],
) -> None:
    """``lines.N.field`` errors go beside that field of the row line N came from."""
    header: dict[str, Sequence[str | Promise]] = {}
    for name, messages in fields.items():
        parts = name.split(".")
        if (
            parts[0] == "lines"
            and len(parts) >= 2
            and parts[1].isdigit()
            and int(parts[1]) < len(rows)
        ):
            line = lines[rows[int(parts[1])]]
            target = parts[2] if len(parts) > 2 and parts[2] in line.fields else None
            for message in messages:
                line.add_error(target, str(message))
        else:
            header[name] = messages
    apply_errors(form, header)


def contact_choices(customer: Customer) -> list[tuple[int, str]]:
    return [(p.pk, f"{p.name} · {p.title}" if p.title else p.name) for p in customer.contacts.all()]


def contact_initial(contact: Contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in ContactForm.base_fields}


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing attempts while an account or address is backed off."""

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))[:150]
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        wait = login_guard.seconds_blocked(username, address)
        if wait:
            raise forms.ValidationError(
                _("Too many failed sign-ins. Try again in %(minutes)d minutes."),
                code="throttled",
                params={"minutes": max(1, (wait + 59) // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_guard.record_failure(username, address)
            raise
        login_guard.record_success(username)
        return cleaned
