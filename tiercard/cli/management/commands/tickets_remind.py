"""``tiercard tickets remind``: email assignees the service tickets past their response time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tiercard.servicedesk.reminders import tickets_remind


class Command(BaseCommand):
    help = "Email each assignee the service tickets whose promised response time has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        report = tickets_remind()
        self.stdout.write(
            f"emails\t{report.staff}\ntickets\t{report.tickets}\nfailed\t{report.failed}"
        )
