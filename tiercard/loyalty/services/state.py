"""Shared ground of the loyalty services: the active programme, the window, the membership lock.

Every change to a customer's balance, figures or tier starts with ``membership_lock``: it takes
the customer's membership row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
transactions already serialise writers), creating the row on first use. Holding it is what
makes ``balance_after`` a running sum and keeps concurrent redemptions from overspending.
Callers must be inside ``transaction.atomic``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tiercard.core import batch, rows
from tiercard.core.timeutils import local_day_bounds
from tiercard.loyalty.models import Membership, TierLadder, WindowState
from tiercard.tiers.metrics import Metrics
from tiercard.tiers.programme import Programme, parse_programme
from tiercard.tiers.window import dump_window

_cache: dict[str, Programme] = {}
_text_cache: dict[str, Programme] = {}  # the stored text as read, before any JSON decoding
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Active:
    """The active programme version: what every new decision is made under."""

    version: int
    programme: Programme


def parsed(rules: object) -> Programme:
    """``parse_programme`` with a cache keyed by the stored document itself.

    Keyed by content rather than by version number: a version number names different rules
    in two databases (or after a test database is flushed), the document never does.
    """
    key = json.dumps(rules, sort_keys=True)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    programme = parse_programme(rules)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = programme
    return programme


def programme_of(version: int) -> Programme:
    """The parsed programme of ``version``."""
    return parsed(TierLadder.objects.values_list("rules", flat=True).get(version=version))


def active_programme() -> Active:
    """One indexed query; the parse is cached by the stored document's text.

    Read as text with a plain statement (no ORM compiling, no JSON decoding): every purchase
    calls this, and a cache hit costs one dictionary lookup.
    A database always has an active version (a migration installs the default programme);
    should the table have been emptied (a flushed test database), the default is installed
    again here rather than failing every purchase.
    """
    return active_later()()


def active_later() -> Callable[[], Active]:
    """``active_programme``, its statement sent now (streamed in an open ``core.batch``)."""
    sent = batch.send(_active_sql())
    return lambda: _active_from(sent.row())


def _active_sql() -> str:
    cast = "::text" if connection.vendor == "postgresql" else ""
    return f"SELECT version, rules{cast} FROM loyalty_tierladder WHERE is_active"  # noqa: S608 (constant)


def _active_from(found: tuple[Any, ...] | None) -> Active:
    if found is None:
        _install_default()
        found = batch.send(_active_sql()).row()
        assert found is not None
    version, text = int(found[0]), str(found[1])
    with _cache_lock:
        cached = _text_cache.get(text)
    if cached is None:
        cached = parsed(json.loads(text))
        with _cache_lock:
            if len(_text_cache) > 64:
                _text_cache.clear()
            _text_cache[text] = cached
    return Active(version, cached)


def _install_default() -> None:
    from django.db.models import Max

    from tiercard.tiers.programme import default_programme, dump_programme

    try:
        with transaction.atomic():
            latest = TierLadder.objects.aggregate(v=Max("version"))["v"] or 0
            TierLadder.objects.create(
                version=latest + 1, rules=dump_programme(default_programme()), is_active=True
            )
    except IntegrityError:
        pass  # installed concurrently (the one-active or the version constraint)


def window_state(active: Active, today: dt.date) -> WindowState:
    """The window row, created at ``window.start(today)`` on first use.

    Creating it when purchases already exist would leave their figures uncounted, so the first
    use after an upgrade of an existing database rebuilds the figures (set-based).
    """
    state = WindowState.objects.filter(pk=1).first()
    if state is not None:
        return state
    from tiercard.loyalty.services.window import window_rebuild

    return window_rebuild(active, today)


def window_start_shared(active: Active, today: dt.date) -> dt.date:
    """The window's first day, with the window row share-locked for this transaction.

    Purchases and returns hold the share lock while they add to window figures, so the
    nightly roll (which takes the row exclusively) waits for them; PostgreSQL reads and locks
    in one statement, SQLite's IMMEDIATE transaction already excludes the roll.
    """
    return window_start_later()(active, today)[0]


def window_start_later() -> Callable[[Active, dt.date], tuple[dt.date, bool]]:
    """``window_start_shared``, its statement sent now (streamed in an open ``core.batch``).

    The function gives the start and whether the window row was missing and has just been
    created: then every customer's figures were rebuilt, and a membership row read before
    that must be read again.
    """
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    sent = batch.send(f"SELECT window_start FROM loyalty_windowstate WHERE id = 1{lock}")  # noqa: S608 (constant)
    return lambda active, today: _window_start_from(sent.row(), active, today)


def _window_start_from(
    found: tuple[Any, ...] | None, active: Active, today: dt.date
) -> tuple[dt.date, bool]:
    if found is None:
        from tiercard.loyalty.services.window import window_share_lock

        start = window_state(active, today).window_start
        window_share_lock()
        return start, True
    value = found[0]
    return (value if isinstance(value, dt.date) else dt.date.fromisoformat(value)), False


def programme_and_window_later() -> Callable[[dt.date], tuple[Active, dt.date, bool]]:
    """``active_later`` and ``window_start_later`` in one statement, sent now (streamed in an
    open ``core.batch``): the purchase's reads are one statement fewer. The function takes the
    business day and gives the active programme, the window's first day (the window row
    share-locked) and whether the window row has just been created (see
    ``window_start_later``). When either row is missing, the two are read apart, as those
    functions read them (the default programme installed, the window row created).
    """
    postgres = connection.vendor == "postgresql"
    # PostgreSQL: the ladder row is locked too, after the window row. A rule change holds the
    # window row for update and switches the active row; a purchase that waited for it would
    # otherwise get the old ladder row from the snapshot its statement started with (only a
    # locked row is read again after the wait). Locked, the old row is re-read, no longer
    # active: no row comes back, and the fallback below reads the programme anew.
    cast, lock = ("::text", " FOR SHARE OF w, l") if postgres else ("", "")
    sent = batch.send(
        f"SELECT l.version, l.rules{cast}, w.window_start"  # noqa: S608 (constant)
        " FROM loyalty_windowstate w, loyalty_tierladder l"
        f" WHERE w.id = 1 AND l.is_active{lock}"
    )

    def read(today: dt.date) -> tuple[Active, dt.date, bool]:
        found = sent.row()
        if found is None:
            active = active_programme()
            return (active, *window_start_later()(active, today))
        active = _active_from(found[:2])
        return (active, *_window_start_from(found[2:], active, today))

    return read


def window_start_instant(start: dt.date) -> dt.datetime:
    """The first instant counted: midnight at the start of ``start`` in the business zone."""
    return local_day_bounds(start)[0]


def new_membership(customer_id: int, active: Active) -> Membership:
    return Membership(
        customer_id=customer_id,
        tier=active.programme.ladder.lowest.code,
        ladder_version=active.version,
        tier_since=timezone.now(),
    )


def membership_lock(customer_id: int, active: Active) -> Membership:
    """The customer's membership row, locked for this transaction; created when missing.

    One plain statement (``tiercard.core.rows``): compiling this SELECT through the ORM cost
    more than the database's work on the purchase path.
    """
    row = _locked_row(customer_id)
    if row is not None:
        return row
    try:
        with transaction.atomic():
            new_membership(customer_id, active).save(force_insert=True)
    except IntegrityError:
        pass  # created concurrently; lock theirs
    row = _locked_row(customer_id)
    assert row is not None
    return row


def _locked_row(customer_id: int) -> Membership | None:
    return rows.select(Membership, customer_id, MEMBERSHIP_FIELDS, lock=True)


def membership_later(customer_id: int) -> Callable[[], Membership | None]:
    """The membership row's locking read, sent now (streamed in an open ``core.batch``) with the
    window row's read; the function gives the locked row, or ``None`` when the customer has
    none yet or the window row is missing (then ``membership_lock`` takes it, after the window).

    Nothing is locked while the window row is missing: its creation rebuilds every member's
    figures, and holding one member's lock meanwhile could deadlock with a purchase of another
    member that waits for the window row (lock order: window row, then membership row). On
    PostgreSQL the statement share-locks the window row itself before it locks the membership
    row: the window read sent before it may have found no row that a transaction committing in
    between created, and the rebuild holding that row then waits for this membership row.
    """
    only_if = _WINDOW_LOCKED if connection.vendor == "postgresql" else _WINDOW_EXISTS
    return rows.select_later(Membership, customer_id, MEMBERSHIP_FIELDS, lock=True, only_if=only_if)


_WINDOW_EXISTS = "EXISTS (SELECT 1 FROM loyalty_windowstate WHERE id = 1)"
_WINDOW_LOCKED = "EXISTS (SELECT 1 FROM loyalty_windowstate WHERE id = 1 FOR SHARE)"


MEMBERSHIP_FIELDS = tuple(f.name for f in Membership._meta.concrete_fields)


def metrics_of(row: Membership, today: dt.date) -> Metrics:
    """The figures tier criteria are tested against, as of ``today``."""
    days = None if row.last_purchase_on is None else max((today - row.last_purchase_on).days, 0)
    return Metrics(
        spend=row.win_spend,
        order_count=row.win_orders,
        growth_value=row.win_growth,
        max_order=row.win_max_order,
        days_since_last_purchase=days,
    )


def metrics_snapshot(metrics: Metrics) -> dict[str, object]:
    """JSON-safe form stored on a tier change (money as strings)."""
    return {
        "spend": str(metrics.spend),
        "order_count": metrics.order_count,
        "growth_value": metrics.growth_value,
        "max_order": str(metrics.max_order),
        "days_since_last_purchase": metrics.days_since_last_purchase,
    }


def spec_of(active: Active) -> dict[str, object]:
    return dump_window(active.programme.window)
