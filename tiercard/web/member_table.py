"""The member table's page pieces: the filter form, the view it describes, and rows to print.

The form only checks shape (a date is a date, an amount is an amount, ranges run forwards);
an invalid filter shows its message next to the field, keeps what was typed, and is left out
of the query, while the valid ones still apply. Saved views come back through the same form
(:func:`view_query` turns a stored view into the query string it was saved from).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.customers import masking
from tiercard.customers.models import CustomerKind, CustomerStatus
from tiercard.listviews.table import (
    DEFAULT_COLUMNS,
    PAGE_SIZES,
    SORTS,
    TableFilters,
    TableRow,
    TableView,
    available_columns,
    clean_columns,
)
from tiercard.tiers.ladder import Ladder
from tiercard.web import display, member_cells
from tiercard.web.loyalty_presenters import tier_name

MAX_AMOUNT = Decimal("9999999999.99")
TAGS_SHOWN = 3
"""Tags printed in a row; the rest are counted ("+2"), the card shows them all."""
STATUS_CHOICES: list[tuple[str, Any]] = [
    ("", _("All but archived")),
    *[(v, label) for v, label in CustomerStatus.choices],
    ("all", _("All, archived included")),
]
VIEW_KEYS = (
    "q",
    "tier",
    "tag",
    "city",
    "owner",
    "status",
    "kind",
    "purchased_from",
    "purchased_to",
    "min_spend",
    "max_spend",
    "follow_up_due",
    "manager_missing",
    "sort",
    "per_page",
    "cols",
)


class MemberTableForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    tag = forms.CharField(label=_("Tag"), max_length=40, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    owner = forms.TypedChoiceField(label=_("Account manager"), coerce=int, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types")), *CustomerKind.choices], required=False
    )
    purchased_from = forms.DateField(
        label=_("Last purchase from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2025-05-01.")},
    )
    purchased_to = forms.DateField(
        label=_("to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2025-05-01.")},
    )
    min_spend = forms.DecimalField(
        label=_("Total spend from"),
        required=False,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        decimal_places=2,
        error_messages={"invalid": _("Enter an amount such as 1000 or 1000.50.")},
    )
    max_spend = forms.DecimalField(
        label=_("to"),
        required=False,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        decimal_places=2,
        error_messages={"invalid": _("Enter an amount such as 1000 or 1000.50.")},
    )
    follow_up_due = forms.BooleanField(label=_("Contact due (tier cadence)"), required=False)
    manager_missing = forms.BooleanField(label=_("No dedicated manager"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"), choices=[(k, s.label) for k, s in SORTS.items()], required=False
    )
    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        coerce=int,
        required=False,
    )
    cols = forms.MultipleChoiceField(
        label=_("Columns"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        ladder: Ladder,
        owners: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choice("tier").choices = [
            ("", _("All tiers")),
            *[(t.code, tier_name(t)) for t in ladder.tiers],
        ]
        self._choice("cols").choices = [(c.key, c.label) for c in available_columns()]
        if owners:
            self._choice("owner").choices = [("", _("Everyone")), *owners]
        else:
            del self.fields["owner"]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_spend"), data.get("max_spend")
        if low is not None and high is not None and low > high:
            self.add_error("max_spend", _("The upper amount must not be below the lower one."))
        start, end = data.get("purchased_from"), data.get("purchased_to")
        if start and end and start > end:
            self.add_error("purchased_to", _("The end date must not be before the start date."))
        return data

    def table_view(self) -> TableView:
        """The view the valid fields describe; fields with errors are left out."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        filters = TableFilters(
            q=data.get("q") or "",
            tier=data.get("tier") or "",
            tag=data.get("tag") or "",
            city=data.get("city") or "",
            owner_id=data.get("owner") or None,
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            purchased_from=data.get("purchased_from"),
            purchased_to=data.get("purchased_to"),
            min_spend=data.get("min_spend"),
            max_spend=data.get("max_spend"),
            follow_up_due=bool(data.get("follow_up_due")),
            manager_missing=bool(data.get("manager_missing")),
        )
        return TableView(
            filters=filters,
            sort=data.get("sort") or "recent",
            columns=clean_columns(data["cols"]) if data.get("cols") else DEFAULT_COLUMNS,
            per_page=data.get("per_page") or PAGE_SIZES[0],
        )


def view_query(view: TableView) -> QueryDict:
    """The query string a stored view stands for (what the form would have sent)."""
    state = view.as_dict()
    query = QueryDict(mutable=True)
    for name, value in state["filters"].items():
        query["owner" if name == "owner_id" else name] = "on" if value is True else str(value)
    query["sort"] = view.sort
    query["per_page"] = str(view.per_page)
    query.setlist("cols", list(view.columns))
    return query


def overlay(base: QueryDict, request_query: QueryDict) -> QueryDict:
    """``base`` with every view key the request names replaced by the request's values."""
    merged = base.copy()
    for key in VIEW_KEYS:
        if key in request_query:
            merged.setlist(key, request_query.getlist(key))
    return merged


@dataclass(frozen=True)
class TierBadge:
    code: str
    name: str
    colour: str


@dataclass
class MemberRow:
    """One table row: its values (formatted, masked for the viewer) and, in the ``*_text``
    fields, every text a cell prints, translated and with a dash for an empty value.

    The texts are made here once per row so that the template's row loop only prints values:
    a page renders 25 to 100 rows, and each translation tag, filter or ``{% url %}`` in that
    loop cost as much again."""

    pk: int
    name: str
    pinyin: str
    kind: str
    company: str
    phone: str
    registered_on: Any
    win_orders: int
    per_month: str
    win_spend: str
    total_spend: str
    order_count: int
    points: int
    tier: TierBadge
    interactions: int | None
    last_contact: Any
    campaigns: str | None
    owner: str
    last_purchase_at: Any
    city: str
    status: str
    status_label: str
    tags: list[tuple[str, str]]
    more_tags: int = 0
    href: str = ""
    select_label: str = ""
    monogram: str = ""
    subtitle: str = ""  # the company, when it is not the name itself
    phone_text: str = ""
    registered_text: str = ""
    orders_text: str = ""  # "3 orders" in the window
    per_month_text: str = ""
    order_count_text: str = ""
    points_text: str = ""
    service_text: str = ""  # "2 contacts", "" without any
    last_contact_text: str = ""
    campaigns_text: str = ""
    owner_text: str = ""
    last_purchase_text: str = ""
    city_text: str = ""
    tag_links: list[tuple[str, str]] = field(default_factory=list)  # (name, filtered table)
    cells: str = ""  # the row's <td>s, safe HTML (web.member_cells), for the chosen columns


def tier_badges(ladder: Ladder) -> dict[str, TierBadge]:
    return {t.code: TierBadge(t.code, tier_name(t), t.colour) for t in ladder.tiers}


class _PageTexts:
    """What every row of a page says the same way, translated once per page: the phrases
    (each plural form once per number) and the link to a card (``reverse`` once)."""

    SAMPLE_PK = 987_654_321_987

    def __init__(self, tag_query: str) -> None:
        self.tag_query = tag_query
        self.select = gettext("Select %(name)s")
        self.per_month = gettext("%(rate)s / month")
        self.last = gettext("last")
        self._card = reverse("web:customer_detail", args=[self.SAMPLE_PK]).split(
            str(self.SAMPLE_PK)
        )
        self._plurals: dict[tuple[str, int], str] = {}

    def card(self, pk: int) -> str:
        """``reverse("web:customer_detail", args=[pk])``."""
        return str(pk).join(self._card)

    def orders(self, n: int) -> str:
        found = self._plurals.get(("orders", n))
        if found is None:
            found = ngettext("%(n)s order", "%(n)s orders", n) % {"n": n}
            self._plurals["orders", n] = found
        return found

    def contacts(self, n: int) -> str:
        found = self._plurals.get(("contacts", n))
        if found is None:
            found = ngettext("%(n)s contact", "%(n)s contacts", n) % {"n": n}
            self._plurals["contacts", n] = found
        return found


def member_rows(
    rows: list[TableRow],
    viewer: User,
    badges: dict[str, TierBadge],
    window_months: int,
    tag_query: str = "",
    shown: Mapping[str, bool] | None = None,
) -> list[MemberRow]:
    """``tag_query``: the view's query string without its tag, ready for ``tag=`` (a tag's
    link shows the same view filtered by that tag). ``shown``: the columns chosen, for the
    rows' cells (none without it)."""
    months = max(window_months, 1)
    texts = _PageTexts(tag_query)
    out = [_member_row(r, viewer, badges, months, texts) for r in rows]
    if shown is not None:
        labels = member_cells.cell_labels()
        more = gettext("More tags on the card")
        for row in out:
            row.cells = member_cells.row_cells(row, shown, labels, more)
    return out


def _member_row(
    r: TableRow, viewer: User, badges: dict[str, TierBadge], months: int, texts: _PageTexts
) -> MemberRow:
    c = r.customer
    per_month = f"{r.win_orders / months:.1f}"
    phone = masking.customer_phone(viewer, c)
    owner = str(c.owner) if c.owner_id and c.owner else ""
    tags = r.tags[:TAGS_SHOWN]
    return MemberRow(
        pk=c.pk,
        name=c.name,
        pinyin=c.name_pinyin,
        kind=c.kind,
        company=c.company_name,
        phone=phone,
        registered_on=c.registered_on,
        win_orders=r.win_orders,
        per_month=per_month,
        win_spend=display.money(r.win_spend),
        total_spend=display.money(c.total_spend),
        order_count=c.order_count,
        points=r.points,
        tier=badges.get(r.tier) or TierBadge(r.tier, r.tier, "#9e9e9e"),
        interactions=r.interactions,
        last_contact=c.last_interaction_at,
        campaigns=r.campaigns,
        owner=owner,
        last_purchase_at=c.last_purchase_at,
        city=c.city,
        status=c.status,
        status_label=str(c.get_status_display()),
        tags=[(t.name, t.color) for t in tags],
        more_tags=max(0, len(r.tags) - TAGS_SHOWN),
        href=texts.card(c.pk),
        select_label=texts.select % {"name": c.name},
        monogram=display.monogram(c.name),
        subtitle=c.company_name if c.company_name != c.name else "",
        phone_text=phone or display.EMPTY,
        registered_text=display.ymd(c.registered_on),
        orders_text=texts.orders(r.win_orders),
        per_month_text=texts.per_month % {"rate": per_month},
        order_count_text=display.count(c.order_count),
        points_text=display.count(r.points),
        service_text=texts.contacts(r.interactions) if r.interactions else "",
        last_contact_text=f"{texts.last} {display.ymd(c.last_interaction_at)}",
        campaigns_text=r.campaigns or display.EMPTY,
        owner_text=owner or display.EMPTY,
        last_purchase_text=display.ymd(c.last_purchase_at) or display.EMPTY,
        city_text=c.city or display.EMPTY,
        tag_links=[(t.name, f"?{texts.tag_query}tag={quote(t.name)}") for t in tags],
    )
