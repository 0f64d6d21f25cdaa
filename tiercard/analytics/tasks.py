"""The dashboard's figures refreshed as a background job (django-tasks; the database backend).

Safe to re-run and to run concurrently, by two mechanisms on the single ``RollupState`` row:

- a *claim*: a job starts only by a conditional UPDATE that sets ``running_since`` where it is
  empty (or older than ``LEASE``, a job that died). A second job that finds the claim taken
  does not compute the same figures beside it (a full refresh reads the whole book); it sets
  ``rerun_requested`` and returns, and the running job, before it lets go of its claim, goes
  round once more. So a refresh asked for while one runs still yields figures that began
  after the request, and at most one job computes at a time.
- a *compare-and-swap* in ``rollup.dashboard_refresh``: whatever runs it (this job, the
  command, a page refreshing a small book), figures are only replaced by a refresh that
  began later than the one that made them, so a slow refresh never overwrites newer figures.

``nightly_review`` is the nightly job with the dashboard in it: loyalty's window roll, points
expiry and tier review (``loyalty.tasks.run_daily``), then this refresh queued behind it, so the
morning's dashboard shows the night's upgrades and downgrades. (It lives here and not in
``loyalty.tasks`` because loyalty may not import analytics.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.analytics.models import RollupState
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.core.timeutils import business_today

# A claim older than this is taken to belong to a job that died (a full refresh at a million
# customers takes about 70 s; this leaves a wide margin on a loaded machine).
LEASE = dt.timedelta(hours=1)
# Rounds one job makes at most when refreshes keep being asked for while it runs.
MAX_ROUNDS = 3


def _ensure_state() -> None:
    RollupState.objects.get_or_create(pk=1)


def _claim(now: dt.datetime) -> bool:
    """Take the claim (one UPDATE); False when another job holds a live one."""
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - LEASE)
    taken = RollupState.objects.filter(free, pk=1).update(running_since=now, rerun_requested=False)
    return taken == 1


def _release(claim: dt.datetime) -> bool:
    """Let go of our claim unless a rerun was asked for meanwhile (then keep it: go round)."""
    mine = RollupState.objects.filter(pk=1, running_since=claim)
    return mine.filter(rerun_requested=False).update(running_since=None) == 1


def refresh_exclusive(*, day: dt.date | None = None) -> dict[str, Any]:
    """Refresh the figures unless a job is already at it (then ask it to go round once more).

    ``day`` is the business day to figure; by default today, read again on every round.
    Returns what happened: ``status`` "refreshed" (with ``as_of``, ``rounds``, ``seconds``) or
    "rerun_requested".
    """
    _ensure_state()
    claim = timezone.now()
    if not _claim(claim):
        RollupState.objects.filter(pk=1).update(rerun_requested=True)
        return {"status": "rerun_requested"}
    rounds = 0
    try:
        while True:
            rounds += 1
            state = dashboard_refresh(day or business_today())
            if _release(claim):
                break
            # Asked again while we ran: clear the request, keep the claim, go round once more.
            mine = RollupState.objects.filter(pk=1, running_since=claim)
            if rounds >= MAX_ROUNDS or not mine.update(rerun_requested=False):
                mine.update(running_since=None)  # lost the claim, or enough rounds: stop
                break
    except BaseException:
        RollupState.objects.filter(pk=1, running_since=claim).update(running_since=None)
        raise
    return {
        "status": "refreshed",
        "as_of": state.as_of.isoformat() if state.as_of else None,
        "rounds": rounds,
        "seconds": state.seconds,
    }


@task()
def refresh_dashboard(day: str | None = None) -> dict[str, Any]:
    """Queue to recompute the dashboard's figures (e.g. every 15 minutes, and after the nightly
    review); ``day`` (ISO) defaults to the business today."""
    return refresh_exclusive(day=dt.date.fromisoformat(day) if day else None)


@task()
def nightly_review(day: str | None = None, full: bool = False) -> dict[str, Any]:
    """The nightly job: the tier review of ``loyalty.tasks.run_daily``, then the dashboard's
    refresh queued behind it. Queue once a day after business midnight; safe to re-run."""
    from tiercard.loyalty.tasks import run_daily

    today = dt.date.fromisoformat(day) if day else business_today()
    result = run_daily(today=today, full=full)
    result["dashboard_task"] = refresh_dashboard.enqueue(today.isoformat()).id
    return result


def refresh_request() -> dt.datetime:
    """Note a "refresh now" from the page and queue the job; returns when it was asked for."""
    _ensure_state()
    now = timezone.now()
    RollupState.objects.filter(pk=1).update(requested_at=now)
    refresh_dashboard.enqueue()
    return now


def can_refresh_dashboard(user: User) -> bool:
    """Refreshing on demand reads the whole book: administrators only."""
    return policy.can_use_admin_site(user)
