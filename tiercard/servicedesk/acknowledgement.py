"""The customer's acknowledgement of a ticket (受理回执): "we received your complaint no. N on
<time> and will respond by <time>".

Asked for when the ticket is opened (``notify_customer``), and written to the outbox in the
transaction that opens it (key ``ticket_received:<ticket>``, so once per ticket). The outbox
sender (``loyalty.services.notify``) mails it later, only to a customer who consented and has
an e-mail address not opted out, else marks it skipped. The payload holds no text staff wrote
(the subject may be an internal summary): the number, the kind and the two times, in the
business's time zone and language.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation

from tiercard.core.timeutils import business_tz
from tiercard.loyalty.services.notify import CUSTOMER_LANGUAGE
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.servicedesk.models import ServiceTicket, TicketKind


def acknowledgement_key(ticket_id: int) -> str:
    return f"{MessageKind.TICKET_RECEIVED}:{ticket_id}"


def acknowledgement_queue(ticket: ServiceTicket) -> OutboxMessage:
    """Queue the acknowledgement of ``ticket`` (call inside the transaction opening it)."""
    return OutboxMessage.objects.create(
        key=acknowledgement_key(ticket.pk),
        kind=MessageKind.TICKET_RECEIVED,
        customer_id=ticket.customer_id,
        payload=acknowledgement_payload(ticket),
    )


def acknowledgement_payload(ticket: ServiceTicket) -> dict[str, Any]:
    """A promised time already past (a ticket logged late) is left out: the message then
    promises an answer as soon as possible rather than by a time gone by."""
    with translation.override(CUSTOMER_LANGUAGE):
        kind = str(TicketKind(ticket.kind).label)
    due = ticket.respond_by if ticket.respond_by and ticket.respond_by > timezone.now() else None
    return {
        "ticket": ticket.pk,
        "kind": kind,
        "received": _local(ticket.opened_at),
        "respond_by": _local(due) if due else None,
    }


def acknowledgement_status(ticket_id: int) -> tuple[str, Any] | None:
    """(status, sent_at) of the ticket's acknowledgement; None when none was asked for."""
    found = (
        OutboxMessage.objects.filter(key=acknowledgement_key(ticket_id))
        .values_list("status", "sent_at")
        .first()
    )
    return (str(found[0]), found[1]) if found else None


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment, business_tz()):%Y-%m-%d %H:%M}"
