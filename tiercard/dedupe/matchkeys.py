"""Keeping the stored match keys current: per chunk of cards, never per card.

A chunk is read with two queries (the cards, their contact points), its keys computed in
Python (``profile.Profile``: normalisation needs Python) and written with one DELETE and one
bulk INSERT. Merged cards have no keys. The customer services (a lower layer) do not know this
table, so the keys are refreshed by the scan for every card changed since the previous scan
(``updated_at``), and by the create hooks of the web and API for the card just created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, transaction

from tiercard.customers.models import ContactPoint, ContactPointKind, Customer, CustomerKind
from tiercard.dedupe.models import MatchKey
from tiercard.dedupe.profile import Profile

CHUNK = 5000
CARD_FIELDS = ("id", "kind", "name", "name_pinyin", "city", "company_name", "credit_code")
PHONE_KINDS = (ContactPointKind.MOBILE, ContactPointKind.PHONE)


def profiles(ids: Sequence[int]) -> dict[int, Profile]:
    """The profiles of the given cards, leaving out merged and erased ones (every erased card
    carries the same placeholder name, so name + city would pair them): two queries."""
    cards = Customer.objects.filter(
        pk__in=ids, merged_into__isnull=True, erased_at__isnull=True
    ).values_list(*CARD_FIELDS)
    contacts: dict[int, dict[str, list[str]]] = {}
    for customer_id, kind, normalized in ContactPoint.objects.filter(
        customer_id__in=ids
    ).values_list("customer_id", "kind", "normalized"):
        contacts.setdefault(customer_id, {}).setdefault(kind, []).append(normalized)
    found: dict[int, Profile] = {}
    for pk, kind, name, pinyin, city, company_name, credit_code in cards:
        points = contacts.get(pk, {})
        found[pk] = Profile(
            name=name,
            company=kind == CustomerKind.COMPANY,
            city=city,
            company_name=company_name,
            credit_code=credit_code,
            phones=tuple(p for k in PHONE_KINDS for p in points.get(k, [])),
            emails=tuple(points.get(ContactPointKind.EMAIL, [])),
            wechats=tuple(points.get(ContactPointKind.WECHAT, [])),
            pinyin=pinyin,
        )
    return found


def _write(ids: Sequence[int], *, replace: bool) -> int:
    built = profiles(ids)
    rows = [
        (pk, kind, value[:200])
        for pk, profile in built.items()
        for kind, value in sorted(profile.keys())
    ]
    with transaction.atomic():
        if replace:
            MatchKey.objects.filter(customer_id__in=ids).delete()
        # Multi-row INSERTs of plain tuples: a model instance per key cost more than the
        # database's work at a million cards, and one statement per row costs a round trip.
        with connection.cursor() as cur:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                batch = rows[start : start + ROWS_PER_INSERT]
                cur.execute(_insert_sql(len(batch)), [v for row in batch for v in row])
    return len(rows)


ROWS_PER_INSERT = 1000  # 3,000 parameters: within SQLite's and PostgreSQL's limits


def _insert_sql(n: int) -> str:
    values = ", ".join(["(%s, %s, %s)"] * n)
    return f"INSERT INTO {MatchKey._meta.db_table} (customer_id, kind, value) VALUES {values}"  # noqa: S608


def keys_refresh(*, customer_ids: Iterable[int]) -> int:
    """Rebuild the keys of these cards (a created or changed card); returns keys written."""
    ids = sorted(set(customer_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _write(ids[start : start + CHUNK], replace=True)
    return written


def _id_chunks(since: dt.datetime | None) -> Iterator[list[int]]:
    """Ids of unmerged cards changed since ``since`` (all when None), in id order, by chunk:
    keyset paging on the primary key, one query per chunk."""
    cards = Customer.objects.filter(merged_into__isnull=True)
    if since is not None:
        cards = cards.filter(updated_at__gte=since)
    last = 0
    while True:
        chunk = list(cards.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def keys_rebuild(*, since: dt.datetime | None) -> tuple[int, int]:
    """Rebuild keys: of every card when ``since`` is None (the table emptied first), else of
    the cards changed since then. Keys of merged cards are dropped. Returns (cards, keys)."""
    if since is None:
        MatchKey.objects.all().delete()
    else:
        MatchKey.objects.filter(customer__merged_into__isnull=False).delete()
    cards = keys = 0
    for chunk in _id_chunks(since):
        cards += len(chunk)
        keys += _write(chunk, replace=since is not None)
    return cards, keys
