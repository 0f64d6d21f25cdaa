"""Overdue reminders: the assignee of a ticket whose promised response time has passed, with
no response yet, gets one email listing such tickets (``tiercard tickets remind``, run every
few minutes by cron or the task worker).

Each ticket is told about once per assignee (``reminded_at``; assigning the ticket to someone
else clears it). One email per assignee and run, in their language; sent inside the
transaction that marks the tickets, so a mail that cannot be sent leaves them unmarked for the
next run, and a run beside another sends nothing twice (the rows are locked; PostgreSQL skips
those another run holds, SQLite's IMMEDIATE transactions queue).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiercard.accounts.models import User
from tiercard.core.timeutils import business_tz
from tiercard.servicedesk.models import ServiceTicket, TicketStatus


@dataclass
class RemindReport:
    staff: int = 0  # emails sent
    tickets: int = 0  # tickets they listed
    failed: int = 0  # emails that could not be sent (their tickets stay unmarked)


def _due(moment: dt.datetime) -> QuerySet[ServiceTicket]:
    return ServiceTicket.objects.filter(
        status=TicketStatus.OPEN,
        respond_by__lt=moment,
        reminded_at__isnull=True,
        assignee__is_active=True,
    ).exclude(assignee__email="")


def _body(tickets: list[ServiceTicket]) -> str:
    zone = business_tz()
    lines = [
        _("The promised response time of these service tickets has passed:"),
        "",
    ]
    for t in tickets:
        lines.append(
            _("#%(id)s %(subject)s — %(customer)s — respond by %(due)s")
            % {
                "id": t.pk,
                "subject": t.subject,
                "customer": t.customer.name,
                "due": timezone.localtime(t.respond_by, zone).strftime("%Y-%m-%d %H:%M"),
            }
        )
    return "\n".join(lines)


def tickets_remind(*, now: dt.datetime | None = None) -> RemindReport:
    """Email each assignee their newly overdue tickets (see the module docstring)."""
    moment = now or timezone.now()
    report = RemindReport()
    staff_ids = list(_due(moment).values_list("assignee_id", flat=True).distinct())
    for user in User.objects.filter(pk__in=staff_ids).order_by("pk"):
        with transaction.atomic():
            locked = _due(moment).filter(assignee=user).select_related("customer")
            if connection.features.has_select_for_update_skip_locked:
                locked = locked.select_for_update(skip_locked=True, of=("self",))
            else:
                locked = locked.select_for_update()
            tickets = list(locked.order_by("respond_by", "id"))
            if not tickets:
                continue  # another run has them
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = ngettext(
                    "%(n)s service ticket is past its response time",
                    "%(n)s service tickets are past their response time",
                    len(tickets),
                ) % {"n": len(tickets)}
                body = _body(tickets)
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            except Exception:  # any transport error: the tickets stay unmarked, sent next run
                report.failed += 1
                transaction.set_rollback(True)
                continue
            ServiceTicket.objects.filter(pk__in=[t.pk for t in tickets]).update(reminded_at=moment)
            report.staff += 1
            report.tickets += len(tickets)
    return report
