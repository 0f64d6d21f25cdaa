"""Service tickets (服务记录): complaints, after-sales requests and enquiries, answered within
the response time of the customer's tier.

A ticket keeps the terms it was opened under (tier, response hours, priority): a later tier
change does not move a promise already made to the customer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    AFTER_SALES = "after_sales", _("After-sales")
    ENQUIRY = "enquiry", _("Enquiry")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Awaiting response")
    RESPONDED = "responded", _("Responded")
    RESOLVED = "resolved", _("Resolved")


class ServiceTicket(models.Model):
    """Invariants (checked by the database):

    - ``status`` open ⇔ no ``responded_at``; resolved ⇔ ``resolved_at`` set;
    - ``respond_by`` is set exactly when the tier promised a response time, and equals
      ``opened_at`` plus ``response_hours`` (computed once, at opening);
    - a response or resolution never precedes the opening.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="service_tickets")
    kind = models.CharField(_("type"), max_length=12, choices=TicketKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    detail = models.TextField(_("detail"), max_length=4000, blank=True)
    opened_at = models.DateTimeField(_("received"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tier = models.CharField(_("tier"), max_length=32)
    response_hours = models.PositiveIntegerField(_("response time (hours)"), null=True, blank=True)
    priority = models.BooleanField(_("priority"), default=False)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), max_length=4000, blank=True)
    # When the assignee was told the promised time had passed (once per assignee: a new
    # assignee is told again); None until then.
    reminded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TicketKind.values), name="ticket_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="ticket_subject_not_blank"),
            models.CheckConstraint(
                condition=Q(status=TicketStatus.OPEN, responded_at__isnull=True)
                | (~Q(status=TicketStatus.OPEN) & Q(responded_at__isnull=False)),
                name="ticket_open_unanswered",
            ),
            models.CheckConstraint(
                condition=Q(status=TicketStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=TicketStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="ticket_resolved_dated",
            ),
            models.CheckConstraint(
                condition=Q(response_hours__isnull=True, respond_by__isnull=True)
                | Q(response_hours__isnull=False, respond_by__isnull=False),
                name="ticket_promise_whole",
            ),
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(responded_at__gte=F("opened_at")),
                name="ticket_response_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="ticket_resolution_after_opening",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-opened_at"], name="ticket_customer_at"),
            # The queue: unresolved tickets, awaiting first, priority first, by the time a
            # response is due.
            models.Index(
                fields=["status", "-priority", "respond_by", "opened_at"],
                condition=~Q(status=TicketStatus.RESOLVED),
                name="ticket_queue",
            ),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def overdue(self, now: object | None = None) -> bool:
        """No response yet and the promised time has passed."""
        moment = now or timezone.now()
        return (
            self.responded_at is None and self.respond_by is not None and self.respond_by < moment  # type: ignore[operator]
        )


class TicketReply(models.Model):
    """A reply to the customer about a ticket: the interaction it was logged as (so it is on
    the customer's timeline and counts as contact). Deleting the interaction removes the link,
    never the ticket."""

    ticket = models.ForeignKey(ServiceTicket, on_delete=models.CASCADE, related_name="replies")
    interaction = models.OneToOneField(
        Interaction, on_delete=models.CASCADE, related_name="ticket_reply"
    )

    class Meta:
        verbose_name = _("ticket reply")
        verbose_name_plural = _("ticket replies")
        indexes = [models.Index(fields=["ticket", "interaction"], name="ticket_reply_ticket")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} ← {self.interaction_id}"
