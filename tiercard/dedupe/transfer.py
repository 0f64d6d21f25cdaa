"""Ledger moves between two cards: points and growth value, as transfer entries both ways.

Both ledgers are append-only, so a merge never re-assigns an entry: it posts a pair. Points:
one debit of the merged card's whole balance (drawing all its lots) and, on the survivor, one
credit per expiry date of the lots drawn (each with its own lot, so no point expires earlier
or later than it would have). Growth value: per business date, an entry taking the day's sum
off the merged card and one adding it to the survivor, so window figures stay right as the
window rolls. Every key names the merge (``merge:<id>:…``), so nothing is posted twice; an undo
posts reversals keyed ``unmerge:<id>:…`` that name what they reverse (``reverses``).

Kind ``adjust`` throughout, the undo's entries too: in this ledger a positive ``reversal`` is a
cancelled redemption and a negative one a return, and the dashboard counts them as such; a
transfer between two cards of one customer is neither.

Callers hold both membership locks inside their transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from tiercard.accounts.models import User
from tiercard.core.errors import Conflict
from tiercard.loyalty.models import (
    EntryKind,
    GrowthEntry,
    GrowthKind,
    Membership,
    PointsEntry,
    PointsLot,
)
from tiercard.loyalty.services.points_ledger import credit_lot, draw, open_lots, post
from tiercard.loyalty.services.state import Active


def _lot_groups(customer_id: int) -> list[tuple[dt.date | None, int, dt.date]]:
    """(expires_on, points, earliest earned_on) of the open lots, by expiry date."""
    groups: dict[dt.date | None, list[Any]] = {}
    for expires_on, remaining, earned_on in open_lots(customer_id).values_list(
        "expires_on", "remaining", "earned_on"
    ):
        group = groups.setdefault(expires_on, [0, earned_on])
        group[0] += remaining
        group[1] = min(group[1], earned_on)
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or dt.date.min))
    return [(expires, points, earned) for expires, (points, earned) in ordered]


def points_transfer(
    *,
    source: Membership,
    target: Membership,
    key: str,
    active: Active,
    actor: User | None,
    note: str,
) -> dict[str, Any]:
    """Move the source's whole balance and debt to the target. Returns what was posted."""
    moved: dict[str, Any] = {"out": None, "in": [], "lots": [], "owed": 0}
    balance = source.points_balance
    if balance > 0:
        groups = _lot_groups(source.pk)
        out = post(
            source,
            kind=EntryKind.ADJUST,
            points=-balance,
            key=f"{key}:points:out",
            actor=actor,
            ladder_version=active.version,
            note=note,
        )
        draw(out)
        moved["out"] = out.pk
        for i, (expires_on, points, earned_on) in enumerate(groups):
            entry = post(
                target,
                kind=EntryKind.ADJUST,
                points=points,
                key=f"{key}:points:in:{i}",
                actor=actor,
                ladder_version=active.version,
                note=note,
            )
            credit_lot(entry, earned_on=earned_on, expires_on=expires_on)
            moved["in"].append(entry.pk)
            moved["lots"].append(
                [None if expires_on is None else expires_on.isoformat(), points, str(earned_on)]
            )
    owed = source.points_owed
    if owed > 0:
        Membership.objects.filter(pk=source.pk).update(points_owed=F("points_owed") - owed)
        Membership.objects.filter(pk=target.pk).update(points_owed=F("points_owed") + owed)
        source.points_owed -= owed
        target.points_owed += owed
        moved["owed"] = owed
    return moved


def points_transfer_safe_to_reverse(moved: dict[str, Any], target: Membership) -> None:
    """Conflict unless every point credited to the target is still there, unspent."""
    if moved["in"]:
        lots = PointsLot.objects.filter(entry_id__in=moved["in"])
        if any(lot.remaining != lot.points for lot in lots):
            raise Conflict(
                _(
                    "Points moved by this merge have since been spent, expired or taken back "
                    "on the surviving card, so the merge can no longer be undone."
                ),
                code="points_spent",
            )
    if moved["owed"] and target.points_owed < moved["owed"]:
        raise Conflict(
            _(
                "Points owed that moved with this merge have since been settled on the "
                "surviving card, so the merge can no longer be undone."
            ),
            code="points_settled",
        )


def points_transfer_reverse(
    *,
    moved: dict[str, Any],
    source: Membership,
    target: Membership,
    key: str,
    active: Active,
    actor: User | None,
    note: str,
) -> list[int]:
    """Undo ``points_transfer``: reversal entries on both cards, lots restored with their
    original expiry dates. Call ``points_transfer_safe_to_reverse`` first."""
    posted: list[int] = []
    ins = {e.pk: e for e in PointsEntry.objects.filter(pk__in=moved["in"])}
    for i, pk in enumerate(moved["in"]):
        entry = ins[pk]
        back = post(
            target,
            kind=EntryKind.ADJUST,
            points=-entry.points,
            key=f"{key}:points:in:{i}",
            actor=actor,
            ladder_version=active.version,
            reverses=entry,
            note=note,
        )
        draw(back, first=PointsLot.objects.get(entry=entry))
        posted.append(back.pk)
    if moved["out"] is not None:
        out = PointsEntry.objects.get(pk=moved["out"])
        for i, (expires, points, earned) in enumerate(moved["lots"]):
            credit = post(
                source,
                kind=EntryKind.ADJUST,
                points=int(points),
                key=f"{key}:points:out:{i}",
                actor=actor,
                ladder_version=active.version,
                reverses=out,
                note=note,
            )
            credit_lot(
                credit,
                earned_on=dt.date.fromisoformat(earned),
                expires_on=None if expires is None else dt.date.fromisoformat(expires),
            )
            posted.append(credit.pk)
    owed = int(moved["owed"])
    if owed:
        Membership.objects.filter(pk=target.pk).update(points_owed=F("points_owed") - owed)
        Membership.objects.filter(pk=source.pk).update(points_owed=F("points_owed") + owed)
        target.points_owed -= owed
        source.points_owed += owed
    return posted


def growth_transfer(
    *,
    source_id: int,
    target_id: int,
    key: str,
    active: Active,
    actor: User | None,
    note: str,
    days: dict[str, int] | None = None,
) -> dict[str, int]:
    """Move growth value per business date. ``days`` (date → amount) defaults to the
    source's sums per date (the undo passes the days the merge moved); returns the days."""
    if days is None:
        sums = (
            GrowthEntry.objects.filter(customer_id=source_id)
            .values_list("occurred_on")
            .annotate(total=Sum("amount"))
            .order_by("occurred_on")
        )
        days = {day.isoformat(): int(total) for day, total in sums if total}
    entries = []
    for day, amount in days.items():
        for customer_id, signed, direction in (
            (source_id, -amount, "out"),
            (target_id, amount, "in"),
        ):
            entries.append(
                GrowthEntry(
                    customer_id=customer_id,
                    occurred_on=dt.date.fromisoformat(day),
                    amount=signed,
                    kind=GrowthKind.ADJUST,
                    key=f"{key}:growth:{direction}:{day}",
                    ladder_version=active.version,
                    actor=actor if actor is not None and actor.pk else None,
                    note=note[:200],
                )
            )
    GrowthEntry.objects.bulk_create(entries, batch_size=1000)
    return days
