"""Background jobs of the loyalty programme (django-tasks; the database backend by default).

Every job is safe to re-run: the window roll finds the window already advanced, the review
changes nothing the second time the same day. Arguments are JSON-safe (dates as ISO strings),
as queued tasks require.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from tiercard.core.timeutils import business_today


def run_daily(*, today: dt.date, full: bool = False) -> dict[str, Any]:
    """The nightly sequence; returns what each step did (counts)."""
    from tiercard.loyalty.models import WindowState
    from tiercard.loyalty.services.birthdays import birthday_gifts_queue
    from tiercard.loyalty.services.grading import tiers_review
    from tiercard.loyalty.services.points_expire import points_expire
    from tiercard.loyalty.services.state import active_programme
    from tiercard.loyalty.services.statistics import refresh_if_stale
    from tiercard.loyalty.services.window import window_roll

    result: dict[str, Any] = {"day": today.isoformat()}
    # A day without a run would miss the recency lapses of that day (the daily review finds
    # them by equality on the day they happen): after a gap, review every row once.
    last = WindowState.objects.filter(pk=1).values_list("rolled_at", flat=True).first()
    if last is not None and business_today(last) < today - dt.timedelta(days=1):
        full = True
    result["full"] = full
    # 0. Planner statistics, when missing or stale (SQLite; see statistics.py).
    result["statistics_refreshed"] = refresh_if_stale()
    # 1. Move the window: figures lose the days that left it; rows left below their tier start
    #    their grace.
    rolled = window_roll(active_programme(), today)
    result["window_rolled"] = rolled.rows
    # 2. Points expiry (it does not change tiers).
    expired = points_expire(today=today)
    result["points_expired"] = expired.points
    result["customers_with_expired_points"] = expired.customers
    # 3. The tier review: upgrades, grace, downgrades, warnings.
    report = tiers_review(today=today, full=full)
    # 4. Birthday gifts of the tiers that give one, to the tiers just reviewed.
    result["birthday_gifts"] = birthday_gifts_queue(today)
    result.update(
        candidates=report.candidates,
        upgraded=report.upgraded,
        downgraded=report.downgraded,
        fell_below=rolled.fell_below + report.fell_below,
        recovered=report.recovered,
        warned=report.warned,
        warned_ahead=report.warned_ahead,
        locks_expired=report.locks_expired,
    )
    return result


@task()
def daily_review(day: str | None = None, full: bool = False) -> dict[str, Any]:
    """Queue once a day (after business midnight); ``day`` defaults to the business today."""
    today = dt.date.fromisoformat(day) if day else business_today()
    return run_daily(today=today, full=full)


@task()
def expire_points(day: str | None = None) -> dict[str, int]:
    """``tiercard points expire`` as a job, for a schedule of its own (the nightly review runs
    the expiry too; a second run the same day finds nothing)."""
    from tiercard.loyalty.services.points_expire import points_expire

    report = points_expire(today=dt.date.fromisoformat(day) if day else business_today())
    return {"customers": report.customers, "points": report.points, "notices": report.notices}


@task()
def deliver_outbox(limit: int = 200) -> dict[str, int]:
    """Queue every few minutes: mails pending outbox messages (at least once)."""
    from tiercard.loyalty.services.notify import outbox_deliver

    report = outbox_deliver(limit=limit)
    return {"sent": report.sent, "skipped": report.skipped, "failed": report.failed}
