"""Reading and saving card templates, and what a template makes of one customer's card.

:func:`card_view` reads the template of the customer's tier (one query) and checks every field
on the customer already loaded by ``customers.selectors.customer_get`` (contact points and
persons prefetched), so the cost does not grow with the number of fields. Saving a template is
for administrators only, validated by ``cards.layout.parse_layout`` and audited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.cards.layout import (
    SECTIONS,
    FieldSpec,
    Layout,
    applies,
    default_layouts,
    parse_layout,
)
from tiercard.cards.models import CardTemplate
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.models import ContactPointKind, Customer

logger = logging.getLogger(__name__)

# --- Reading ----------------------------------------------------------------------------------


def layout_for(tier_code: str) -> Layout:
    """The layout of ``tier_code``'s template, else the fallback template, else the shipped one.

    One query. Stored layouts are valid (only ``card_template_save`` writes them); a row
    damaged by hand falls back to the shipped default rather than breaking every card.
    """
    rows = dict(
        CardTemplate.objects.filter(tier_code__in={tier_code, ""}).values_list(
            "tier_code", "layout"
        )
    )
    raw = rows.get(tier_code, rows.get(""))
    if raw is not None:
        try:
            return parse_layout(raw)
        except ValidationFailed:
            logger.warning("card template %r is invalid; using the shipped one", tier_code)
    defaults = default_layouts()
    return defaults.get(tier_code, defaults[""])


def card_templates() -> dict[str, CardTemplate]:
    """Every stored template by tier code (the admin page; templates hold no customer data)."""
    return {t.tier_code: t for t in CardTemplate.objects.select_related("updated_by")}


def _has_contact(customer: Customer, kind: str) -> bool:
    return any(p.kind == kind for p in customer.contact_points.all())


def field_filled(customer: Customer, name: str) -> bool:
    """Whether the card holds a value for catalogue field ``name`` (no query when the contact
    points and persons are prefetched)."""
    if name == "phone":
        return bool(customer.primary_phone)
    if name == "email":
        return bool(customer.primary_email)
    if name == "wechat":
        return _has_contact(customer, ContactPointKind.WECHAT)
    if name == "birthday":
        return customer.birthday is not None or customer.lunar_birth_month is not None
    if name == "contact_person":
        return bool(customer.contacts.all())
    if name == "decision_maker":
        return any(c.is_decision_maker for c in customer.contacts.all())
    if name == "company_name" and customer.is_company:
        return True  # a company's name is its company name
    value = getattr(customer, name)
    if isinstance(value, Decimal):
        return True  # a credit limit of 0 is a value
    return value not in (None, "", False)


@dataclass(frozen=True)
class FieldState:
    section: str
    name: str
    label: str | Promise
    form_field: str
    required: bool
    filled: bool


@dataclass(frozen=True)
class SectionState:
    key: str
    title: str | Promise
    fields: list[FieldState]

    @property
    def filled(self) -> int:
        return sum(1 for f in self.fields if f.filled)


@dataclass(frozen=True)
class CardView:
    """A customer's card under their tier's template."""

    tier_code: str
    sections: list[SectionState]  # field sections, shown and applicable, in priority order
    panels: frozenset[str]  # shown panel sections (purchases, loyalty, timeline, notes)
    filled: int
    total: int
    missing: list[FieldState]  # required first, then priority order
    todo: list[FieldState]  # missing required fields
    # Filled in, but not on this tier's card: still shown (folded away), never hidden.
    extra: list[FieldState] = field(default_factory=list)
    # The shown panels in priority order (the card page lays its history column out by it).
    panel_order: tuple[str, ...] = ()

    @property
    def percent(self) -> int:
        """Completeness; a template asking for nothing is complete."""
        return 100 if not self.total else self.filled * 100 // self.total


def evaluate(customer: Customer, layout: Layout, tier_code: str = "") -> CardView:
    """Sections and fields of ``layout`` applied to ``customer``, with completeness."""
    sections: list[SectionState] = []
    panels: list[str] = []
    for spec, rule in layout.ordered_sections():
        if not rule.shown or not applies(spec.key, None, is_company=customer.is_company):
            continue
        if spec.panel:
            panels.append(spec.key)
            continue
        fields = [
            _state(customer, spec.key, f, r.required)
            for f, r in layout.shown_fields(spec.key)
            if applies(spec.key, f.name, is_company=customer.is_company)
        ]
        if fields:
            sections.append(SectionState(spec.key, spec.title, fields))
    every = [f for s in sections for f in s.fields]
    missing = [f for f in every if not f.filled]
    shown = {f.name for f in every}
    extra = [
        _state(customer, spec.key, f, False)
        for spec in SECTIONS
        for f in spec.fields
        if f.name not in shown and applies(spec.key, f.name, is_company=customer.is_company)
    ]
    return CardView(
        tier_code=tier_code,
        sections=sections,
        panels=frozenset(panels),
        panel_order=tuple(panels),
        filled=len(every) - len(missing),
        total=len(every),
        missing=sorted(missing, key=lambda f: not f.required),
        todo=[f for f in missing if f.required],
        extra=[f for f in extra if f.filled],
    )


def _state(customer: Customer, section: str, spec: FieldSpec, required: bool) -> FieldState:
    return FieldState(
        section=section,
        name=spec.name,
        label=spec.label,
        form_field=spec.form_field,
        required=required,
        filled=field_filled(customer, spec.name),
    )


def card_view(*, customer: Customer, tier_code: str) -> CardView:
    """The card of a customer the caller already read through the viewer's scope."""
    return evaluate(customer, layout_for(tier_code), tier_code)


# --- Saving -----------------------------------------------------------------------------------


def can_edit_templates(user: User) -> bool:
    """Card templates are part of the programme's set-up: administrators only."""
    return policy.can_use_admin_site(user)


def card_template_save(
    *,
    actor: User,
    tier_code: str,
    layout: Mapping[str, Any],
    expected_version: int | None = None,
) -> CardTemplate:
    """Store the template of ``tier_code`` (created when missing). Administrators only.

    Raises ValidationFailed (keys ``<section>`` / ``<section>.<field>``) for an invalid layout
    and Conflict when ``expected_version`` is stale. Audited with the old and new layout.
    """
    if not can_edit_templates(actor):
        raise PermissionDenied()
    parsed = parse_layout(layout).to_json()
    with transaction.atomic():
        row = CardTemplate.objects.select_for_update().filter(tier_code=tier_code).first()
        if row is None:
            row = CardTemplate.objects.create(
                tier_code=tier_code, layout=parsed, updated_by=actor, updated_at=timezone.now()
            )
            audit_record(
                actor=actor, action=AuditAction.CREATE, obj=row, changes={"layout": [{}, parsed]}
            )
            return row
        if expected_version is not None and row.version != expected_version:
            raise Conflict()
        if row.layout == parsed:
            return row
        before = row.layout
        row.layout = parsed
        row.version = F("version") + 1
        row.updated_by = actor
        row.updated_at = timezone.now()
        row.save(update_fields=["layout", "version", "updated_by", "updated_at"])
        row.refresh_from_db(fields=["version"])
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=row, changes={"layout": [before, parsed]}
        )
    return row
