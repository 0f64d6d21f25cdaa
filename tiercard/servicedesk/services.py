"""Writes of service tickets: open, respond, resolve, reopen, assign.

Every write locks the ticket row (``select_for_update``; SQLite's IMMEDIATE transaction holds
the write lock), so two agents answering at once stamp one first response, and a ticket
cannot be resolved twice. A ticket outside the actor's scope is ``NotFound`` and nothing is
written; every write is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.accounts.policy import TICKET_HANDLERS
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from tiercard.core.modelcheck import full_clean_into
from tiercard.core.text import clean_text
from tiercard.customers import validation as v
from tiercard.customers.models import Customer
from tiercard.customers.scope import scope_of
from tiercard.customers.selectors import visible_customers
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.selectors.benefits import service_terms
from tiercard.servicedesk.acknowledgement import acknowledgement_queue
from tiercard.servicedesk.models import ServiceTicket, TicketReply, TicketStatus

OPEN_KEYS = frozenset({"kind", "subject", "detail", "opened_at", "assignee_id", "notify_customer"})
RESPOND_KEYS = frozenset({"kind", "summary", "occurred_at"})


def _unknown(data: Mapping[str, Any], keys: frozenset[str], errors: FieldErrors) -> None:
    for key in sorted(set(data) - keys):
        errors.add(key, _("Unknown field."))


def _require_handler(actor: User) -> None:
    if not policy.can_handle_tickets(actor):
        raise PermissionDenied()


def _assignee(
    raw: object, *, customer_id: int, errors: FieldErrors, field: str = "assignee_id"
) -> User | None:
    """An active user who handles tickets and sees the customer; ``None`` and an error else."""
    text = str(raw).strip()
    number = text.isascii() and text.isdigit() and len(text) <= 18  # not "²", no overflow
    user = User.objects.filter(pk=int(text), is_active=True).first() if number else None
    if (
        user is None
        or not policy.can_handle_tickets(user)
        or not visible_customers(user).filter(pk=customer_id).exists()
    ):
        errors.add(field, _("Choose an active colleague who handles tickets for this customer."))
        return None
    return user


def ticket_open(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> ServiceTicket:
    """Open a ticket under the terms of the tier the customer holds now.

    ``respond_by`` = received time + the tier's response hours (calendar hours; none when the
    tier promises none); the tier's priority booking puts the ticket first in the queue. The
    assignee defaults to the customer's account manager, else the actor; naming someone else
    needs ``can_assign_tickets``. A card merged into another is refused (``customer_merged``).
    ``notify_customer`` (true / false) queues the customer's acknowledgement
    (``acknowledgement``) in the same transaction.
    """
    customer = (
        visible_customers(actor)
        .filter(pk=customer_id)
        .values("owner_id", "owner__is_active", "owner__role", "merged_into_id")
        .first()
    )
    if customer is None:
        raise NotFound()
    _require_handler(actor)
    _refuse_merged(customer["merged_into_id"])
    errors = FieldErrors()
    _unknown(data, OPEN_KEYS, errors)
    opened = v.clean_past_time(
        data.get("opened_at"),
        errors,
        "opened_at",
        now=timezone.now(),
        future_message=_("A ticket cannot be received in the future."),
    )
    assignee: User | None = None
    raw_assignee = data.get("assignee_id")
    if raw_assignee not in (None, ""):
        assignee = _assignee(raw_assignee, customer_id=customer_id, errors=errors)
        if (
            assignee is not None
            and assignee.pk != actor.pk
            and not policy.can_assign_tickets(actor)
        ):
            errors.add("assignee_id", _("You may not assign tickets to others."))
    notify = data.get("notify_customer", False)
    if not isinstance(notify, bool):
        errors.add("notify_customer", _("Enter true or false."))
    terms = service_terms(customer_id=customer_id)
    ticket = ServiceTicket(
        customer_id=customer_id,
        kind=str(data.get("kind") or ""),
        subject=clean_text(str(data.get("subject") or "")),
        detail=str(data.get("detail") or "").strip(),
        opened_at=opened,
        opened_by=actor,
        assignee_id=assignee.pk if assignee else _default_assignee(customer, actor),
        tier=terms.tier,
        response_hours=terms.response_hours,
        priority=terms.priority,
        respond_by=(
            opened + dt.timedelta(hours=terms.response_hours)
            if terms.response_hours is not None
            else None
        ),
    )
    full_clean_into(
        ticket,
        errors,
        exclude=["customer", "opened_by", "assignee", "responded_by", "resolved_by"],
    )
    errors.raise_if_any()
    with transaction.atomic():
        # The card locked and checked again: a merge committing since the read above would
        # otherwise leave this ticket on the card it archived (the merge locks both cards).
        still = Customer.objects.select_for_update().filter(pk=customer_id)
        _refuse_merged(still.values_list("merged_into_id", flat=True).first())
        ticket.save()
        changes = {"kind": ticket.kind, "tier": ticket.tier, "priority": ticket.priority}
        if notify:
            acknowledgement_queue(ticket)
            changes["notify_customer"] = True
        _audit(actor, ticket, AuditAction.CREATE, changes)
    return ticket


def _refuse_merged(merged_into_id: int | None) -> None:
    """Its records live on the surviving card; a ticket here would be out of sight."""
    if merged_into_id is not None:
        raise Conflict(
            _("This card was merged into another one; open the ticket there."),
            code="customer_merged",
        )


def _default_assignee(customer: Mapping[str, Any], actor: User) -> int:
    """The customer's account manager while that account works tickets, else the actor."""
    owner_works = customer["owner__is_active"] and customer["owner__role"] in TICKET_HANDLERS
    return int(customer["owner_id"]) if customer["owner_id"] and owner_works else actor.pk


def _audit(
    actor: User, ticket: ServiceTicket, action: str, changes: dict[str, Any], note: str = ""
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=ticket,
        customer_id=ticket.customer_id,
        changes=changes,
        note=note,
    )


def _locked(actor: User, ticket_id: int) -> ServiceTicket:
    """The ticket, row-locked, if its customer is in the actor's scope; else ``NotFound``.
    Call inside a transaction."""
    ticket = ServiceTicket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or not visible_customers(actor).filter(pk=ticket.customer_id).exists():
        raise NotFound()
    _require_handler(actor)
    return ticket


def _refuse_resolved(ticket: ServiceTicket) -> None:
    if ticket.status == TicketStatus.RESOLVED:
        raise Conflict(_("This ticket is resolved; reopen it first."), code="ticket_resolved")


def ticket_respond(
    *, actor: User, ticket_id: int, data: Mapping[str, Any]
) -> tuple[ServiceTicket, Interaction]:
    """Answer the customer: the reply is logged as an interaction (timeline, last contact) and
    the first reply stamps the ticket's response time. Later replies only add interactions.

    The reply may be dated back (a call made before it was typed in), never before the ticket
    was received nor in the future. A resolved ticket is refused (``ticket_resolved``).
    """
    errors = FieldErrors()
    _unknown(data, RESPOND_KEYS, errors)
    with transaction.atomic():
        ticket = _locked(actor, ticket_id)
        _refuse_resolved(ticket)
        reply: dict[str, Any] = {"kind": data.get("kind"), "summary": data.get("summary")}
        raw_at = data.get("occurred_at")
        if raw_at not in (None, ""):
            reply["occurred_at"] = v.clean_past_time(
                raw_at,
                errors,
                "occurred_at",
                now=timezone.now(),
                future_message=_("A reply cannot be dated in the future."),
                earliest=ticket.opened_at,
                earliest_message=_("A reply cannot precede the ticket."),
            )
        errors.raise_if_any()
        interaction = interaction_log(
            actor=actor,
            customer_id=ticket.customer_id,
            data=reply,
        )
        TicketReply.objects.create(ticket=ticket, interaction=interaction)
        if ticket.responded_at is None:
            ticket.responded_at = max(interaction.occurred_at, ticket.opened_at)
            ticket.responded_by = actor
            ticket.status = TicketStatus.RESPONDED
            ticket.save(update_fields=["responded_at", "responded_by", "status", "updated_at"])
            changes = {"status": [TicketStatus.OPEN, TicketStatus.RESPONDED]}
            _audit(actor, ticket, AuditAction.UPDATE, changes)
    return ticket, interaction


def ticket_resolve(*, actor: User, ticket_id: int, resolution: object) -> ServiceTicket:
    """Close the ticket with what was done. A ticket never answered counts as answered at its
    resolution (the resolution is the response)."""
    text = str(resolution or "").strip()
    with transaction.atomic():
        ticket = _locked(actor, ticket_id)
        errors = FieldErrors()
        if not text:
            errors.add("resolution", _("Say how the ticket was resolved."))
        _refuse_resolved(ticket)
        now = max(timezone.now(), ticket.opened_at)
        before = ticket.status
        ticket.resolution = text
        full_clean_into(ticket, errors, only=["resolution"])
        errors.raise_if_any()
        if ticket.responded_at is None:
            ticket.responded_at, ticket.responded_by = now, actor
        ticket.status, ticket.resolved_at, ticket.resolved_by = TicketStatus.RESOLVED, now, actor
        ticket.save()
        _audit(actor, ticket, AuditAction.UPDATE, {"status": [before, TicketStatus.RESOLVED]})
    return ticket


def ticket_reopen(*, actor: User, ticket_id: int, reason: object) -> ServiceTicket:
    """The customer came back: a resolved ticket is worked again (answered already, so it
    returns to *responded*). The old resolution and the reason stay in the audit log."""
    text = clean_text(str(reason or ""))
    with transaction.atomic():
        ticket = _locked(actor, ticket_id)
        errors = FieldErrors()
        if not text:
            errors.add("reason", _("Say why the ticket is reopened."))
        errors.raise_if_any()
        if ticket.status != TicketStatus.RESOLVED:
            raise Conflict(_("Only a resolved ticket can be reopened."), code="ticket_not_resolved")
        old = ticket.resolution
        ticket.status, ticket.resolved_at, ticket.resolved_by = TicketStatus.RESPONDED, None, None
        ticket.resolution = ""
        ticket.save()
        _audit(
            actor,
            ticket,
            AuditAction.UPDATE,
            {"status": [TicketStatus.RESOLVED, TicketStatus.RESPONDED], "resolution": old},
            note=text[:500],
        )
    return ticket


def ticket_assign(*, actor: User, ticket_id: int, assignee_id: object) -> ServiceTicket:
    """Hand the ticket to a colleague who handles tickets and sees the customer."""
    with transaction.atomic():
        ticket = _locked(actor, ticket_id)
        if not policy.can_assign_tickets(actor):
            raise PermissionDenied()
        _refuse_resolved(ticket)
        errors = FieldErrors()
        user = _assignee(assignee_id, customer_id=ticket.customer_id, errors=errors)
        errors.raise_if_any()
        assert user is not None
        before = ticket.assignee_id
        if before == user.pk:
            return ticket  # already theirs: nothing written, nothing audited
        ticket.assignee, ticket.reminded_at = user, None  # the new assignee is told, if late
        ticket.save(update_fields=["assignee", "reminded_at", "updated_at"])
        _audit(actor, ticket, AuditAction.UPDATE, {"assignee_id": [before, user.pk]})
    return ticket


def tickets_follow_card(
    *, customer_id: int, ticket_ids: Sequence[int]
) -> dict[str, list[int | None]]:
    """Tickets just moved onto ``customer_id`` (a merge, or its undo): the unresolved ones whose
    assignee cannot see that card go to its account manager while that account works tickets,
    else to nobody (the queue shows them unassigned), so no ticket is left with someone who
    cannot open it. Returns {ticket id: [assignee before, after]} of the changed ones, for the
    caller's record. Runs in the caller's transaction; a merge moves a handful of tickets."""
    card = Customer.objects.filter(pk=customer_id).values("owner_id", "team_id").first()
    if card is None or not ticket_ids:
        return {}
    owner = User.objects.filter(pk=card["owner_id"], is_active=True).first()
    fallback = owner.pk if owner is not None and policy.can_handle_tickets(owner) else None
    tickets = ServiceTicket.objects.filter(
        pk__in=ticket_ids, customer_id=customer_id, assignee__isnull=False
    ).exclude(status=TicketStatus.RESOLVED)
    staff = {u.pk: u for u in User.objects.filter(pk__in=tickets.values("assignee_id"))}
    changed: dict[str, list[int | None]] = {}
    for pk, assignee_id in tickets.values_list("pk", "assignee_id"):
        user = staff.get(assignee_id)
        keeps = (
            user is not None
            and policy.can_handle_tickets(user)
            and scope_of(user).admits(card["owner_id"], card["team_id"])
        )
        if not keeps and assignee_id != fallback:
            changed[str(pk)] = [assignee_id, fallback]
    for pk_text, (_before, after) in changed.items():
        ServiceTicket.objects.filter(pk=int(pk_text)).update(assignee_id=after)
    return changed


def tickets_assignees_back(changed: Mapping[str, Sequence[int | None]]) -> None:
    """Undo ``tickets_follow_card``: each ticket still with the assignee it was given goes back
    to the one it had (a ticket reassigned since keeps its new assignee)."""
    for pk_text, (before, after) in changed.items():
        ServiceTicket.objects.filter(pk=int(pk_text), assignee_id=after).update(assignee_id=before)
