"""The card's timeline as a page shows it: one entry view per purchase, points movement, tier
change, interaction, note or card change, masked for the viewer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.cards.notes import can_edit_note
from tiercard.cards.timeline import TimelineEntry
from tiercard.customers import masking
from tiercard.tiers.ladder import Ladder
from tiercard.web import display

MAX_LINES_SHOWN = 5
MASKED_FIELDS = {"primary_phone": "phone", "primary_email": "email"}
HIDDEN_VALUES = {"owner_id", "team_id"}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str
    show_values: bool = True


@dataclass(frozen=True)
class EntryView:
    kind: str
    at: Any
    title: str
    actor: str
    amount: str = ""
    badge: str = ""
    badge_tone: str = ""
    text: str = ""
    facts: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    more_lines: int = 0
    changes: list[Change] = field(default_factory=list)
    # A tier change: the tiers' names and colours; a note: its id and whether it may be edited.
    tier_from: str = ""
    tier_from_colour: str = ""
    tier_to: str = ""
    tier_to_colour: str = ""
    tier_up: bool = False
    note_id: int = 0
    editable: bool = False
    edited: bool = False
    # What the template prints of the time and the actor, made here once per entry.
    at_iso: str = ""  # the time in the business time zone, ISO 8601 (<time datetime>)
    at_text: str = ""  # the same, in the page's language
    by_text: str = ""  # "by <actor>", "" without one


def _when(entry: TimelineEntry) -> dict[str, Any]:
    """The entry's time as given and as printed, and who made it as printed."""
    local = timezone.localtime(entry.at) if timezone.is_aware(entry.at) else entry.at
    return {
        "at": entry.at,
        "at_iso": local.isoformat(),
        "at_text": display.datetime(entry.at),
        "by_text": gettext("by %(name)s") % {"name": entry.actor} if entry.actor else "",
    }


def timeline_entries(
    entries: list[TimelineEntry], viewer: User, ladder: Ladder | None = None
) -> list[EntryView]:
    """``ladder`` names the tiers of tier-change entries (their codes otherwise). Account
    managers named in card changes are looked up in one query for the whole page."""
    owners = _owner_names(entries)
    return [_with_owners(_entry(e, viewer, ladder), e, owners) for e in entries]


def _owner_ids(entry: TimelineEntry) -> list[int]:
    if entry.kind != "change" or entry.obj.action != AuditAction.UPDATE:
        return []  # only updates list their changes
    pair = (entry.details or {}).get("owner_id")
    if not isinstance(pair, list | tuple):
        return []
    return [v for v in pair if isinstance(v, int)]


def _owner_names(entries: list[TimelineEntry]) -> dict[int, str]:
    ids = {pk for e in entries for pk in _owner_ids(e)}
    if not ids:
        return {}
    return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}


def _with_owners(view: EntryView, entry: TimelineEntry, owners: dict[int, str]) -> EntryView:
    """An owner change shows who from and who to, not user ids."""
    if not owners or not _owner_ids(entry):
        return view
    pair = entry.details["owner_id"]
    label = _field_label("owner_id")

    def name(value: object) -> str:
        return owners.get(value, display.EMPTY) if isinstance(value, int) else display.EMPTY

    changes = [
        Change(label, name(pair[0]), name(pair[1])) if c.label == label else c for c in view.changes
    ]
    return replace(view, changes=changes)


def _entry(entry: TimelineEntry, viewer: User, ladder: Ladder | None) -> EntryView:
    if entry.kind == "purchase":
        return _purchase_entry(entry)
    if entry.kind == "interaction":
        return _interaction_entry(entry)
    if entry.kind == "points":
        return _points_entry(entry)
    if entry.kind == "tier":
        return _tier_entry(entry, ladder)
    if entry.kind == "ticket":
        return _ticket_entry(entry)
    if entry.kind == "note":
        return _note_entry(entry, viewer)
    return _change_entry(entry, viewer)


def _points_entry(entry: TimelineEntry) -> EntryView:
    e = entry.obj
    facts = [str(_("balance %(points)s") % {"points": f"{e.balance_after:,}"}), *_merged(entry)]
    return EntryView(
        kind="points",
        **_when(entry),
        title=str(_("Points: %(kind)s") % {"kind": e.get_kind_display()}),
        actor=entry.actor,
        amount=f"+{e.points:,}" if e.points > 0 else f"−{abs(e.points):,}",
        badge_tone="warn" if e.kind == "expire" else ("good" if e.points > 0 else "bad"),
        text=e.note if e.kind != "redeem" else "",
        facts=facts,
    )


def _tier_name(ladder: Ladder | None, code: str) -> tuple[str, str, int]:
    for rank, tier in enumerate(ladder.tiers if ladder else ()):
        if tier.code == code:
            zh = display.chinese_ui()
            name = (tier.name_zh or tier.name_en) if zh else (tier.name_en or tier.name_zh)
            return name, tier.colour, rank
    return code, "#9e9e9e", -1


def _tier_entry(entry: TimelineEntry, ladder: Ladder | None) -> EntryView:
    c = entry.obj
    to_name, to_colour, to_rank = _tier_name(ladder, c.to_tier)
    from_name, from_colour, from_rank = (
        _tier_name(ladder, c.from_tier) if c.from_tier else ("", "", -1)
    )
    return EntryView(
        kind="tier",
        **_when(entry),
        title=str(_("Tier changed")),
        actor=entry.actor,
        badge=str(c.get_reason_display()),
        text=c.note,
        tier_from=from_name,
        tier_from_colour=from_colour,
        tier_to=to_name,
        tier_to_colour=to_colour,
        tier_up=to_rank > from_rank,
        facts=_merged(entry),
    )


def _merged(entry: TimelineEntry) -> list[str]:
    """The record belongs to a card merged into this one (its balances are that card's)."""
    card = entry.details.get("merged_card")
    return [str(_("on merged card no. %(no)s") % {"no": card})] if card else []


def _note_entry(entry: TimelineEntry, viewer: User) -> EntryView:
    n = entry.obj
    return EntryView(
        kind="note",
        **_when(entry),
        title=str(_("Note")),
        actor=entry.actor,
        text=n.body,
        note_id=n.pk,
        editable=can_edit_note(viewer, n),
        edited=n.edited_at is not None,
    )


def _purchase_entry(entry: TimelineEntry) -> EntryView:
    p = entry.obj
    lines = list(p.lines.all())
    shown = [
        f"{line.item_name} × {display.quantity(line.quantity)}"
        + (f" · {display.money(line.amount)}" if len(lines) > 1 else "")
        for line in lines[:MAX_LINES_SHOWN]
    ]
    facts = [str(p.get_channel_display()), str(p.get_payment_method_display())]
    if p.store:
        facts.append(p.store)
    if p.discount:
        facts.append(str(_("order discount %(amount)s") % {"amount": display.money(p.discount)}))
    if entry.details.get("points"):
        facts.append(str(_("+%(points)s points") % {"points": f"{entry.details['points']:,}"}))
    return EntryView(
        kind="purchase",
        **_when(entry),
        title=str(_("Purchase")),
        actor=entry.actor,
        amount=display.money(p.total),
        text=p.note,
        facts=facts,
        lines=shown,
        more_lines=max(len(lines) - MAX_LINES_SHOWN, 0),
    )


OUTCOME_TONES = {"positive": "good", "negative": "bad", "no_answer": "warn", "neutral": ""}


def _interaction_entry(entry: TimelineEntry) -> EntryView:
    i = entry.obj
    facts = []
    if i.contact_id and i.contact:
        facts.append(str(_("with %(name)s") % {"name": i.contact.name}))
    if i.next_step and i.next_step_due:
        facts.append(
            str(
                _("Next step: %(step)s (due %(date)s)")
                % {"step": i.next_step, "date": display.date(i.next_step_due)}
            )
        )
    elif i.next_step:
        facts.append(str(_("Next step: %(step)s") % {"step": i.next_step}))
    return EntryView(
        kind="interaction",
        **_when(entry),
        title=str(i.get_kind_display()),
        actor=entry.actor,
        badge=str(i.get_outcome_display()) if i.outcome else "",
        badge_tone=OUTCOME_TONES.get(i.outcome, ""),
        text=i.summary,
        facts=facts,
    )


TICKET_TONES = {"open": "warn", "responded": "plain", "resolved": "good"}


def _ticket_entry(entry: TimelineEntry) -> EntryView:
    """A service ticket at the time it was received: its subject, status and promise."""
    t = entry.obj
    facts = [str(_("Ticket #%(id)s") % {"id": t.pk})]
    if t.respond_by and t.responded_at is None:
        facts.append(str(_("Respond by %(at)s") % {"at": display.datetime(t.respond_by)}))
    if t.resolved_at:
        facts.append(str(_("Resolved %(at)s") % {"at": display.datetime(t.resolved_at)}))
    return EntryView(
        kind="ticket",
        **_when(entry),
        title=str(t.get_kind_display()),
        actor=entry.actor,
        badge=str(t.get_status_display()),
        badge_tone=TICKET_TONES.get(t.status, ""),
        text=t.subject,
        facts=facts,
    )


def _change_entry(entry: TimelineEntry, viewer: User) -> EntryView:
    event = entry.obj
    changes: list[Change] = []
    if event.action == AuditAction.UPDATE:
        for name, pair in sorted((entry.details or {}).items()):
            changes.append(_change(name, pair, viewer))
    title = {
        AuditAction.CREATE: _("Card created"),
        AuditAction.UPDATE: _("Card updated"),
        AuditAction.ARCHIVE: _("Card archived"),
        AuditAction.RESTORE: _("Card restored"),
    }.get(event.action, entry.title)
    return EntryView(
        kind="change",
        **_when(entry),
        title=str(title),
        actor=entry.actor,
        text=event.note,
        changes=changes,
    )


def _change(name: str, pair: object, viewer: User) -> Change:
    label = _field_label(name)
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return Change(label, "", "", show_values=False)
    old, new = (_shown_value(name, value, viewer) for value in pair)
    return Change(label, old, new, show_values=name not in HIDDEN_VALUES)


def _field_label(name: str) -> str:
    if name == "tags":
        return str(_("Tags"))
    try:
        return str(capfirst(display.customer_field(name.removesuffix("_id")).verbose_name))
    except FieldDoesNotExist:  # an old audit row may name a field that is gone
        return name


def _shown_value(name: str, value: object, viewer: User) -> str:
    if value in (None, "", []):
        return display.EMPTY
    if name in MASKED_FIELDS and masking.masks_for(viewer):
        text = str(value)
        return (
            masking.display_phone(viewer, text)
            if MASKED_FIELDS[name] == "phone"
            else (masking.display_email(viewer, text))
        )
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or display.EMPTY
    try:
        model_field = display.customer_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(model_field.flatchoices or [])
    if choices:
        return str(choices.get(value, value))
    if name == "primary_phone":
        return masking.display_phone(viewer, str(value))
    if name == "credit_limit":
        return display.money(Decimal(str(value)))
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
