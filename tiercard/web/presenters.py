"""Turn domain objects into what a page shows: labelled, formatted, masked for the viewer.

Templates only print these values. Masking decisions come from ``customers.masking`` and
rights from ``accounts.policy``; nothing here decides either. This module holds what several
pages share (abilities, owner choices, list rows); the card's own values are in
``card_presenters`` and its history in ``timeline_presenters``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.accounts.selectors import assignable_owners, owner_filter_choices
from tiercard.core.prepared import Prepared
from tiercard.customers import masking
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.privacy import policy as privacy_policy
from tiercard.web import display
from tiercard.web.card_presenters import contact_person as contact_person
from tiercard.web.card_presenters import totals as totals


@dataclass(frozen=True)
class Abilities:
    """What the viewer may do on a card, straight from the policy."""

    edit: bool
    archive: bool
    record_purchase: bool
    log_interaction: bool
    masked: bool
    reveal: bool
    add_note: bool = False
    assign_owner: bool = False
    tag: bool = False
    personal_data: bool = False
    erase: bool = False

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
            add_note=policy.can_log_interaction(user),
            assign_owner=policy.can_assign_owner(user),
            tag=policy.can_update_customers(user),
            personal_data=privacy_policy.can_export_personal_data(user),
            erase=privacy_policy.can_erase_customer(user),
        )


def user_label(user: User | None) -> str:
    return str(user) if user is not None else ""


def owner_choices(viewer: User) -> list[tuple[int, str]] | None:
    """Account managers the viewer may pick, or None when the viewer cannot choose at all."""
    if viewer.role not in {Role.ADMIN, Role.MANAGER}:
        return None  # sales own what they create; service and marketing create nothing
    return [(u.pk, _labelled(u)) for u in _owners(assignable_owners, viewer)]


def filter_owner_choices(viewer: User) -> list[tuple[int, str]]:
    """Owners offered by the list filter: only for viewers who see more than their own."""
    return [(u.pk, _labelled(u)) for u in _owners(owner_filter_choices, viewer)]


_OWNER_READS: dict[tuple[Any, ...], Prepared[User]] = {}


def _owners(choices: Callable[[User], QuerySet[User]], viewer: User) -> list[User]:
    """``choices(viewer)`` by team and name: on every card and table page, so its statement is
    compiled once per viewer (the query depends on the viewer's id, role, team and state)."""
    key = (choices, viewer.pk, viewer.role, viewer.team_id, viewer.is_active)
    found = _OWNER_READS.get(key)
    if found is None:
        found = Prepared(lambda _: choices(viewer).order_by("team__name", "username"), fixed=True)
        _OWNER_READS[key] = found
    return found.rows(0)


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


def is_archived(customer: Customer) -> bool:
    return customer.status == CustomerStatus.ARCHIVED
