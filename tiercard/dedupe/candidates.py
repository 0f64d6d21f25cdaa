"""Possible duplicates of a new customer's values, among the cards the viewer may see.

``candidates_for(*, viewer, values)`` is the stable entry point for the create form, the API
and imports (one call per row; a fixed number of queries whatever the size of the base). It
does not depend on a scan having run: strong keys are looked up in the source tables (contact
points, credit codes, names) as well as in the stored keys, so a card created a second ago is
found. Only cards visible to ``viewer`` (``customers.selectors.visible_customers``) and not
merged away are returned, so nothing about another rep's customers leaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q

from tiercard.accounts.models import User
from tiercard.customers.models import ContactPointKind, Customer, CustomerKind
from tiercard.customers.selectors import visible_customers
from tiercard.dedupe import keys
from tiercard.dedupe.matchkeys import profiles
from tiercard.dedupe.models import MatchKey
from tiercard.dedupe.profile import Profile, compare
from tiercard.dedupe.scoring import LABELS, Level, Reason

LIMIT = 10
PROBE = 50  # cards read per key kind at most, before scoring


@dataclass(frozen=True)
class Candidate:
    customer: Customer
    score: int
    level: Level
    reasons: tuple[Reason, ...]

    @property
    def reason_labels(self) -> list[str]:
        return [str(LABELS[r]) for r in self.reasons]


def _direct_ids(profile: Profile) -> set[int]:
    """Cards sharing a strong key, read from the source tables (indexed lookups)."""
    conditions: list[Q] = []
    phones = {keys.phone_key(p) for p in profile.phones} - {""}
    if phones:
        conditions.append(
            Q(
                contact_points__kind__in=[ContactPointKind.MOBILE, ContactPointKind.PHONE],
                contact_points__normalized__in=sorted(phones),
            )
        )
    emails = {keys.email_key(e) for e in profile.emails} - {""}
    if emails:
        # Stored with the domain lower-cased; the local part as typed (usually lower case).
        stored = set(emails)
        for email in profile.emails:
            local, _, domain = email.strip().rpartition("@")
            stored.add(f"{local}@{domain.lower()}")
        conditions.append(
            Q(
                contact_points__kind=ContactPointKind.EMAIL,
                contact_points__normalized__in=sorted(stored),
            )
        )
    code = keys.credit_code_key(profile.credit_code)
    if code:
        conditions.append(Q(credit_code=code))
    name = profile.name.strip()
    if name:
        kind = CustomerKind.COMPANY if profile.company else CustomerKind.PERSON
        conditions.append(Q(name=name, kind=kind))
    ids: set[int] = set()
    for condition in conditions:
        ids.update(
            Customer.objects.filter(condition, merged_into__isnull=True).values_list(
                "pk", flat=True
            )[:PROBE]
        )
    return ids


def _stored_ids(profile: Profile) -> set[int]:
    wanted = profile.keys()
    if not wanted:
        return set()
    condition = reduce(or_, (Q(kind=kind, value=value) for kind, value in sorted(wanted)))
    return set(MatchKey.objects.filter(condition).values_list("customer_id", flat=True)[:PROBE])


def _name_ids(profile: Profile) -> set[int]:
    """People with the same name pinyin in the same city (a weak key, indexed on pinyin)."""
    if profile.company or not profile.name or not profile.city:
        return set()
    pinyin = keys.name_key(profile.name)
    city = keys.city_key(profile.city)
    if not pinyin or not city:
        return set()
    return set(
        Customer.objects.filter(
            name_pinyin=pinyin,
            city__in=sorted({city, f"{city}市", profile.city}),
            kind=CustomerKind.PERSON,
            merged_into__isnull=True,
        ).values_list("pk", flat=True)[:PROBE]
    )


def candidates_for(
    *,
    viewer: User,
    values: Mapping[str, Any],
    exclude_id: int | None = None,
    limit: int = LIMIT,
) -> list[Candidate]:
    """Cards visible to ``viewer`` that may be the customer described by ``values``.

    ``values`` takes the keys of ``customers.services.customer_create`` (``name``, ``kind``,
    ``phones``, ``emails``, ``wechat``, ``credit_code``, ``company_name``, ``city``); anything
    else is ignored, invalid values only fail to match. Best first, at most ``limit``, only
    those scoring at least ``possible``. ``exclude_id``: the card being edited or just made.
    """
    profile = Profile.from_values(values)
    ids = _direct_ids(profile) | _stored_ids(profile) | _name_ids(profile)
    ids.discard(exclude_id or 0)
    if not ids:
        return []
    visible = set(
        visible_customers(viewer)
        .filter(pk__in=sorted(ids), merged_into__isnull=True)
        .values_list("pk", flat=True)
    )
    if not visible:
        return []
    theirs = profiles(sorted(visible))
    scored = []
    for pk, other in theirs.items():
        result = compare(profile, other)
        if result.level is not None:
            scored.append((result, pk))
    scored.sort(key=lambda item: (-item[0].value, item[1]))
    scored = scored[:limit]
    cards = Customer.objects.select_related("owner").in_bulk([pk for _r, pk in scored])
    return [
        Candidate(customer=cards[pk], score=r.value, level=r.level, reasons=r.reasons)
        for r, pk in scored
        if r.level is not None and pk in cards
    ]
