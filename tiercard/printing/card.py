"""What a printed customer card holds: the card page's content, formatted, masked, in order.

Invariants:
- every read goes through the viewer's scope (``customer_get`` and the loyalty, sales,
  interaction and note selectors): a customer outside it is ``NotFound`` before anything else;
- contact data is masked exactly as the card page masks it for this viewer (never revealed:
  a print is not a reveal);
- the blocks follow the tier's card template: its field sections and panels in its priority
  order, fields hidden by the template left out (values filled in anyway come last, under
  "Other information", as the page shows them folded away);
- history is recent only: the last ``RECENT_DAYS`` days, at most a few rows per kind, so a
  card stays one or two pages whatever the customer's age. Service tickets print whatever the
  template (the card page shows their panel beside every template): every one still being
  worked, whatever its age (a promise still open), then those resolved in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tiercard.accounts.models import User
from tiercard.cards import card_presenters as cp
from tiercard.cards import display
from tiercard.cards import loyalty_presenters as lp
from tiercard.cards.followups import next_follow_up
from tiercard.cards.layout import SECTION_BY_KEY, SectionRule, SectionSpec
from tiercard.cards.notes import note_list
from tiercard.cards.templates import CardView, evaluate, layout_for
from tiercard.core.timeutils import business_tz, local_day_bounds
from tiercard.customers import masking
from tiercard.customers.models import Customer
from tiercard.customers.selectors import customer_get
from tiercard.interactions.models import Interaction, InteractionOutcome
from tiercard.interactions.selectors import interaction_list
from tiercard.loyalty.models import TierChange
from tiercard.loyalty.selectors.benefits import benefits_of_customer
from tiercard.loyalty.selectors.points import points_summary
from tiercard.loyalty.selectors.tiers import tier_history, tier_status
from tiercard.loyalty.services.state import active_programme
from tiercard.sales.selectors import purchase_list
from tiercard.servicedesk.models import TicketStatus
from tiercard.servicedesk.selectors import customer_tickets
from tiercard.tiers.ladder import Ladder

RECENT_DAYS = 365
PURCHASE_ROWS = 8
INTERACTION_ROWS = 8
TICKET_ROWS = 5
NOTE_ROWS = 5
HISTORY_ROWS = 3
SUMMARY_CHARS = 280  # an interaction's summary in a table row; the card page has the rest
NOTE_CHARS = 1200


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (a row must fit a page)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class LadderStep:
    name: str
    colour: str
    held: bool


@dataclass(frozen=True)
class HistoryLine:
    day: str
    text: str
    colour: str = ""


@dataclass(frozen=True)
class PurchaseLine:
    day: str
    items: str
    total: str
    returned: str


@dataclass(frozen=True)
class InteractionLine:
    day: str
    kind: str
    summary: str
    by: str
    outcome: str
    next_step: str


@dataclass(frozen=True)
class TicketLine:
    day: str  # received
    kind: str
    status: str  # with "overdue" when a promised response is late
    text: str  # the subject, then the resolution once resolved


@dataclass(frozen=True)
class NoteLine:
    day: str
    author: str
    body: str


@dataclass(frozen=True)
class Block:
    """One part of the card in template order: ``key`` is the template's section key."""

    key: str
    title: str
    rows: list[cp.FieldRow] = field(default_factory=list)


@dataclass(frozen=True)
class CardSheet:
    customer_id: int
    name: str
    name_en: str
    kind: str
    status: str
    archived: bool
    registered: str
    external_id: str
    birthday: str
    age: str
    company: str
    contacts: list[cp.ContactValue]
    masked: bool
    owner: str
    team: str
    tags: list[tuple[str, str]]
    follow_up: str
    tier: lp.TierPanel
    ladder: list[LadderStep]
    history: list[HistoryLine]
    points: lp.PointsPanel
    benefits: lp.BenefitsPanel
    totals: cp.Totals
    completeness: int
    blocks: list[Block]
    persons: list[cp.ContactPersonView]
    purchases: list[PurchaseLine]
    interactions: list[InteractionLine]
    tickets: list[TicketLine]
    notes: list[NoteLine]
    extra: list[cp.FieldRow]
    recent_days: int = RECENT_DAYS
    tickets_more: int = 0  # tickets of the period not listed (the list stops at TICKET_ROWS)


def _day(value: dt.datetime | None) -> str:
    """The business day of ``value`` (Asia/Shanghai by default), not the server's."""
    return display.date(value.astimezone(business_tz()).date()) if value else display.EMPTY


def _text(value: str | Promise) -> str:
    return str(value)


def _since(today: dt.date) -> dt.datetime:
    """The start of the recent window: the business day ``RECENT_DAYS`` before ``today``."""
    return local_day_bounds(today - dt.timedelta(days=RECENT_DAYS))[0]


def card_sheet(*, viewer: User, customer_id: int | str, today: dt.date) -> CardSheet:
    """The printable card of one customer in the viewer's scope (``NotFound`` otherwise)."""
    customer = customer_get(viewer=viewer, customer_id=customer_id)
    programme = active_programme().programme
    status = tier_status(viewer, customer.pk, today)
    changes = list(tier_history(viewer, customer.pk).select_related("actor")[:HISTORY_ROWS])
    layout = layout_for(status.tier.code)
    view = evaluate(customer, layout, status.tier.code)
    summary = points_summary(viewer=viewer, customer_id=customer.pk, today=today)
    found = benefits_of_customer(viewer=viewer, customer_id=customer.pk, today=today)
    follow = next_follow_up(viewer=viewer, customer=customer, today=today)
    tier = lp.tier_panel(status, [], programme.ladder, programme.window, today)
    tickets, tickets_more = _tickets(viewer, customer, today)
    return CardSheet(
        customer_id=customer.pk,
        name=customer.name,
        name_en=customer.name_en,
        kind=str(customer.get_kind_display()),
        status=str(customer.get_status_display()),
        archived=customer.status == "archived",
        registered=display.date(customer.registered_on),
        external_id=customer.external_id,
        birthday=cp.birthday_text(customer),
        age=cp.age_text(customer),
        company=customer.company_name if customer.company_name != customer.name else "",
        contacts=cp.contact_values(customer, viewer),
        masked=masking.masks_for(viewer),
        owner=str(customer.owner) if customer.owner_id and customer.owner else "",
        team=str(customer.team) if customer.team_id and customer.team else "",
        tags=[(t.name, t.color) for t in customer.tags.all()],
        follow_up=_follow_up_text(follow),
        tier=tier,
        ladder=[
            LadderStep(lp.tier_name(t), t.colour, t.code == status.tier.code)
            for t in programme.ladder.tiers
        ],
        history=[_history_line(c, programme.ladder) for c in changes],
        points=lp.points_panel(summary, [], False),
        benefits=lp.benefits_panel(found, status.benefits, lambda: ""),
        totals=cp.totals(customer),
        completeness=view.percent,
        blocks=_blocks(customer, layout.ordered_sections(), view),
        persons=cp.contact_persons(customer, viewer) if "contacts" in _shown(view) else [],
        purchases=_purchases(viewer, customer, today) if "purchases" in view.panels else [],
        interactions=_interactions(viewer, customer, today) if "timeline" in view.panels else [],
        tickets=tickets,
        tickets_more=tickets_more,
        notes=_notes(viewer, customer) if "notes" in view.panels else [],
        extra=cp.extra_rows(customer, view),
    )


def _shown(view: CardView) -> set[str]:
    return {s.key for s in view.sections}


def _blocks(
    customer: Customer, ordered: list[tuple[SectionSpec, SectionRule]], view: CardView
) -> list[Block]:
    """Field sections (without the fields printed elsewhere) and panels, in template order."""
    fields = {s.key: s for s in cp.template_sections(customer, view)}
    panels = view.panels
    shown = _shown(view)
    blocks: list[Block] = []
    for spec, rule in ordered:
        if not rule.shown:
            continue
        if spec.key in fields:
            section = fields[spec.key]
            rows = [r for r in section.rows if not _said_elsewhere(customer, r.name)]
            blocks.append(Block(spec.key, _text(section.title), rows))
        elif spec.key == "contacts" and spec.key in shown:
            blocks.append(Block("contacts", _text(SECTION_BY_KEY["contacts"].title)))
        elif spec.panel and spec.key in panels:
            blocks.append(Block(spec.key, _text(spec.title)))
    return blocks


def _said_elsewhere(customer: Customer, name: str) -> bool:
    """A company's company name is its name, printed in the head already."""
    return name == "company_name" and customer.is_company


def _follow_up_text(follow: Interaction | None) -> str:
    if follow is None:
        return ""
    due, step = follow.next_step_due, follow.next_step
    return f"{display.date(due)} · {step}" if due else step


def _history_line(change: TierChange, ladder: Ladder) -> HistoryLine:
    row = lp.history_row(change, ladder)
    moved = f"{row.from_name} → {row.to_name}" if row.from_name else row.to_name
    return HistoryLine(_day(row.at), f"{moved} · {row.reason}", row.to_colour)


def _purchases(viewer: User, customer: Customer, today: dt.date) -> list[PurchaseLine]:
    found = purchase_list(viewer=viewer, customer_id=customer.pk).filter(
        occurred_at__gte=_since(today)
    )[:PURCHASE_ROWS]
    lines = []
    for p in found:
        names = [line.item_name for line in p.lines.all()]
        items = "、".join(names[:3]) + ("…" if len(names) > 3 else "")
        lines.append(
            PurchaseLine(
                day=_day(p.occurred_at),
                items=items,
                total=display.money(p.total),
                returned=display.money(p.returned_amount) if p.returned_amount else "",
            )
        )
    return lines


def _interactions(viewer: User, customer: Customer, today: dt.date) -> list[InteractionLine]:
    found = interaction_list(viewer=viewer, customer_id=customer.pk).filter(
        occurred_at__gte=_since(today)
    )[:INTERACTION_ROWS]
    outcomes = dict(InteractionOutcome.choices)
    return [
        InteractionLine(
            day=_day(i.occurred_at),
            kind=str(i.get_kind_display()),
            summary=clip(i.summary, SUMMARY_CHARS),
            by=str(i.actor) if i.actor_id and i.actor else "",
            outcome=str(outcomes.get(i.outcome, "")) if i.outcome else "",
            next_step=(
                f"{i.next_step} ({display.date(i.next_step_due)})"
                if i.next_step and i.next_step_due
                else i.next_step
            ),
        )
        for i in found
    ]


def _tickets(viewer: User, customer: Customer, today: dt.date) -> tuple[list[TicketLine], int]:
    """Unresolved tickets first, then those resolved in the period (``customer_tickets``
    order), at most ``TICKET_ROWS``, and how many more there are (the sheet says so); the
    customer was read through the viewer's scope above."""
    period = customer_tickets(viewer=viewer, customer_id=customer.pk, in_scope=True).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=_since(today))
    )
    found = list(period[: TICKET_ROWS + 1])
    more = period.count() - TICKET_ROWS if len(found) > TICKET_ROWS else 0
    found = found[:TICKET_ROWS]
    now = timezone.now()
    lines = []
    for t in found:
        status = str(t.get_status_display())
        if t.overdue(now):
            status += " · " + _("overdue")
        text = t.subject
        if t.status == TicketStatus.RESOLVED and t.resolution:
            text += "  → " + t.resolution
        lines.append(
            TicketLine(
                _day(t.opened_at), str(t.get_kind_display()), status, clip(text, SUMMARY_CHARS)
            )
        )
    return lines, more


def _notes(viewer: User, customer: Customer) -> list[NoteLine]:
    found = note_list(viewer=viewer, customer_id=customer.pk)[:NOTE_ROWS]
    return [
        NoteLine(_day(n.created_at), str(n.author) if n.author else "", clip(n.body, NOTE_CHARS))
        for n in found
    ]
