"""Which card fields a merge decides, and how: survivorship per field.

Default rule: the surviving card keeps its own value; where it has none, it takes the merged
card's (gaps are filled, nothing is overwritten). The reviewer may pick the merged card's value
for any field where both differ. Phones and emails are not chosen: the survivor keeps all of
its own and gains the merged card's (first listed stays primary).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.core.contacts import national_digits
from tiercard.core.errors import ValidationFailed
from tiercard.customers.models import BirthdayCalendar, ContactPoint, ContactPointKind, Customer

# (field, label): the plain fields a merge may take from either card.
FIELDS: tuple[tuple[str, str | Promise], ...] = (
    ("name", _("name")),
    ("name_en", _("English name")),
    ("gender", _("gender")),
    ("birthday", _("birthday (solar)")),
    ("company_name", _("company")),
    ("position", _("position")),
    ("occupation", _("occupation")),
    ("province", _("province / region")),
    ("city", _("city")),
    ("district", _("district")),
    ("address", _("address")),
    ("postal_code", _("postal code")),
    ("industry", _("industry")),
    ("credit_code", _("unified social credit code")),
    ("external_id", _("external id")),
    ("owner_id", _("account manager")),
    ("wechat", _("WeChat")),
    ("qq", _("QQ")),
)
FIELD_NAMES = frozenset(name for name, _label in FIELDS)
UNIQUE_FIELDS = ("credit_code", "external_id")  # a value lives on one card at a time
SURVIVOR, MERGED = "survivor", "merged"


def _single_point(points: list[ContactPoint], kind: str) -> str:
    return next((p.normalized for p in points if p.kind == kind), "")


def value_of(customer: Customer, name: str, points: list[ContactPoint]) -> Any:
    """A field's value in the form ``customer_update`` takes (dates as ISO text)."""
    if name == "wechat":
        return _single_point(points, ContactPointKind.WECHAT)
    if name == "qq":
        return _single_point(points, ContactPointKind.QQ)
    value = getattr(customer, name)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else value


def contact_list(points: list[ContactPoint], kinds: tuple[str, ...]) -> list[str]:
    """Normalised values of the given kinds, primary first, in the card's order."""
    chosen = [p for p in points if p.kind in kinds]
    chosen.sort(key=lambda p: (not p.is_primary, p.kind != kinds[0], p.pk or 0))
    return [p.normalized for p in chosen]


PHONES = (ContactPointKind.MOBILE, ContactPointKind.PHONE)
EMAILS = (ContactPointKind.EMAIL,)


def as_typed(key: str, values: list[str]) -> list[str]:
    """Stored contact values in the form ``customer_update`` accepts: phones as people type
    them (``normalize_phone`` refuses its own +86 landline output, 021… is fine)."""
    return [national_digits(v) for v in values] if key == "phones" else values


@dataclass(frozen=True)
class FieldChoice:
    name: str
    label: str | Promise
    survivor: Any
    merged: Any

    @property
    def conflict(self) -> bool:
        return self.survivor not in ("", None) and self.merged not in ("", None)

    @property
    def default(self) -> str:
        return MERGED if self.survivor in ("", None) else SURVIVOR


def field_choices(
    survivor: Customer,
    merged: Customer,
    survivor_points: list[ContactPoint],
    merged_points: list[ContactPoint],
) -> list[FieldChoice]:
    """The fields where the cards differ and the merged card has a value, in form order."""
    found = []
    lunar = BirthdayCalendar.LUNAR in {survivor.birthday_calendar, merged.birthday_calendar}
    for name, label in FIELDS:
        if name == "birthday" and lunar:
            continue  # a lunar birthday is three fields; it stays as the survivor has it
        mine = value_of(survivor, name, survivor_points)
        theirs = value_of(merged, name, merged_points)
        if theirs in ("", None) or mine == theirs:
            continue
        found.append(FieldChoice(name, label, mine, theirs))
    return found


def resolve(
    choices: list[FieldChoice],
    picked: Mapping[str, str],
    survivor_points: list[ContactPoint],
    merged_points: list[ContactPoint],
) -> dict[str, Any]:
    """The ``customer_update`` data the merge writes on the survivor: the chosen fields
    (defaults where not picked) and the union of both cards' phones and emails.

    Raises ValidationFailed for a pick that names an unknown field or side."""
    unknown = sorted(set(picked) - FIELD_NAMES)
    bad = sorted(k for k, v in picked.items() if v not in (SURVIVOR, MERGED))
    if unknown or bad:
        raise ValidationFailed(
            code="bad_field_choice",
            fields={
                **{k: [_("Unknown field.")] for k in unknown},
                **{k: [_("Choose the surviving or the merged card.")] for k in bad},
            },
        )
    data: dict[str, Any] = {}
    for choice in choices:
        side = picked.get(choice.name, choice.default)
        if side == MERGED:
            data[choice.name] = choice.merged
    for key, kinds in (("phones", PHONES), ("emails", EMAILS)):
        mine = contact_list(survivor_points, kinds)
        known = {m.lower() for m in mine}
        theirs = [v for v in contact_list(merged_points, kinds) if v.lower() not in known]
        if theirs:
            data[key] = as_typed(key, mine + theirs)
    return data
