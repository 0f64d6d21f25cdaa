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
    from tiercard.loyalty.services.grading import tiers_review
    from tiercard.loyalty.services.state import active_programme
    from tiercard.loyalty.services.window import window_roll

    result: dict[str, Any] = {"day": today.isoformat()}
    # 1. Move the window: figures lose the days that left it; touched rows become review_due.
    result["window_rolled"] = window_roll(active_programme(), today)
    # 2. Points expiry runs here, before the review (it does not change tiers).
    # 3. The tier review: upgrades, grace, downgrades, warnings.
    report = tiers_review(today=today, full=full)
    result.update(
        candidates=report.candidates,
        upgraded=report.upgraded,
        downgraded=report.downgraded,
        fell_below=report.fell_below,
        recovered=report.recovered,
        warned=report.warned,
        locks_expired=report.locks_expired,
    )
    return result


@task()
def daily_review(day: str | None = None, full: bool = False) -> dict[str, Any]:
    """Queue once a day (after business midnight); ``day`` defaults to the business today."""
    today = dt.date.fromisoformat(day) if day else business_today()
    return run_daily(today=today, full=full)
