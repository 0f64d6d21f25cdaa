"""Delivering the outbox: tier upgrades, downgrade warnings, downgrades, expiring points,
birthday gifts and the acknowledgements of service tickets.

Messages are written in the transaction of the change they announce; this sender runs later,
outside any transaction, and mails them through Django's email machinery. Delivery is at least
once: a message is claimed by bumping ``attempts`` with a conditional update (two senders never
claim the same message), then sent, then marked sent. A sender that dies between sending and
marking leaves the message pending to be sent again, which is preferred to losing it.

A customer is mailed only when they consented to data processing and have a primary e-mail
address that is not opted out; otherwise the message is marked ``skipped``. Customer-facing
text is Chinese, the business's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiercard.customers.models import ContactPoint, ContactPointKind, Customer, CustomerStatus
from tiercard.loyalty.services.state import active_programme
from tiercard.outbox.models import MessageKind, MessageStatus, OutboxMessage

MAX_ATTEMPTS = 5
CUSTOMER_LANGUAGE = "zh-hans"


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def mail_address(customer_id: int) -> str | None:
    """Where to mail a customer: a consenting, current card's first e-mail not opted out.
    Archived cards (merged ones among them) are not written to, whatever was queued for them
    before the archiving or by a later review."""
    customer = (
        Customer.objects.filter(pk=customer_id, consent_data=True, merged_into__isnull=True)
        .exclude(status=CustomerStatus.ARCHIVED)
        .first()
    )
    if customer is None:
        return None
    point = (
        ContactPoint.objects.filter(
            customer_id=customer_id, kind=ContactPointKind.EMAIL, opted_out=False
        )
        .order_by("-is_primary", "id")
        .first()
    )
    return point.value if point is not None else None


def _tier_name(code: object) -> str:
    ladder = active_programme().programme.ladder
    tier = next((t for t in ladder.tiers if t.code == code), None)
    return tier.name_zh if tier is not None else str(code)


def compose(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of a message, in the customer's language."""
    with translation.override(CUSTOMER_LANGUAGE):
        if kind == MessageKind.TIER_UPGRADE:
            name = _tier_name(payload.get("to_tier"))
            return (
                _("Congratulations: you are now %(tier)s") % {"tier": name},
                _("Your membership was upgraded to %(tier)s on %(date)s.")
                % {"tier": name, "date": payload.get("effective_on", "")},
            )
        if kind == MessageKind.DOWNGRADE_WARNING:
            return (
                _("Keep your %(tier)s membership") % {"tier": _tier_name(payload.get("tier"))},
                _(
                    "Your membership will move to %(to)s on %(date)s unless your purchases "
                    "reach the level of %(tier)s again before then."
                )
                % {
                    "to": _tier_name(payload.get("to_tier")),
                    "date": payload.get("planned_on", ""),
                    "tier": _tier_name(payload.get("tier")),
                },
            )
        if kind == MessageKind.TIER_DOWNGRADE:
            name = _tier_name(payload.get("to_tier"))
            return (
                _("Your membership is now %(tier)s") % {"tier": name},
                _("Your membership moved to %(tier)s on %(date)s.")
                % {"tier": name, "date": payload.get("effective_on", "")},
            )
        if kind == MessageKind.TIER_RULE_CHANGE:
            name = _tier_name(payload.get("to_tier"))
            return (
                _("Our membership programme changed: you are now %(tier)s") % {"tier": name},
                _(
                    "Our membership programme changed on %(date)s. Under the new rules your "
                    "membership is %(tier)s."
                )
                % {"tier": name, "date": payload.get("effective_on", "")},
            )
        if kind == MessageKind.TICKET_RECEIVED:
            return _ticket_received(payload)
        if kind == MessageKind.BIRTHDAY_GIFT:
            return (
                _("Happy birthday from us"),
                _("Happy birthday! As a %(tier)s member, your birthday gift is: %(gift)s.")
                % {"tier": _tier_name(payload.get("tier")), "gift": payload.get("gift", "")},
            )
        return (
            _("Your points are about to expire"),
            _("%(points)s of your points expire on %(date)s. Redeem them before then.")
            % {"points": payload.get("points", ""), "date": payload.get("expires_on", "")},
        )


def _ticket_received(payload: dict[str, Any]) -> tuple[str, str]:
    """Written by ``servicedesk.acknowledgement``: number, kind and times, no staff text."""
    values = {
        "kind": payload.get("kind", ""),
        "number": payload.get("ticket", ""),
        "received": payload.get("received", ""),
        "due": payload.get("respond_by") or "",
    }
    subject = _("We have received your %(kind)s (no. %(number)s)") % values
    if values["due"]:
        body = _(
            "We received your %(kind)s on %(received)s under no. %(number)s and will respond "
            "by %(due)s."
        )
    else:
        body = _(
            "We received your %(kind)s on %(received)s under no. %(number)s and will respond "
            "as soon as we can."
        )
    return subject, body % values


def outbox_deliver(*, limit: int = 200) -> DeliveryReport:
    """Send up to ``limit`` pending messages, oldest first (see the module docstring)."""
    report = DeliveryReport()
    pending = OutboxMessage.objects.filter(status=MessageStatus.PENDING).order_by("id")[:limit]
    for message in list(pending):
        claimed = OutboxMessage.objects.filter(
            pk=message.pk, status=MessageStatus.PENDING, attempts=message.attempts
        ).update(attempts=F("attempts") + 1)
        if not claimed:
            continue  # another sender has it
        address = mail_address(message.customer_id)
        if address is None:
            _finish(message.pk, MessageStatus.SKIPPED)
            report.skipped += 1
            continue
        subject, body = compose(message.kind, message.payload)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception as exc:  # any transport error: retried, then given up
            failed = message.attempts + 1 >= MAX_ATTEMPTS
            OutboxMessage.objects.filter(pk=message.pk).update(
                last_error=str(exc)[:300],
                status=MessageStatus.FAILED if failed else MessageStatus.PENDING,
            )
            report.failed += 1
            continue
        _finish(message.pk, MessageStatus.SENT)
        report.sent += 1
    return report


def _finish(pk: int, status: str) -> None:
    OutboxMessage.objects.filter(pk=pk).update(status=status, sent_at=timezone.now())
