"""Background jobs of the service desk (django-tasks), safe to queue often and twice at once."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def remind_overdue() -> dict[str, Any]:
    """``tickets_remind`` as a queued job: queue it every few minutes."""
    from tiercard.servicedesk.reminders import tickets_remind

    report = tickets_remind()
    return {"emails": report.staff, "tickets": report.tickets, "failed": report.failed}
