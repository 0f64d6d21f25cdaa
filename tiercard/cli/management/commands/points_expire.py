"""``tiercard points expire [--date YYYY-MM-DD]``: expire the points lots that ran out.

Set-based and safe to re-run (a second run the same day finds nothing) and beside live
redemptions. The nightly job (``tiercard tiers review``) runs it too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import day_of
from tiercard.loyalty.services.points_expire import points_expire


class Command(BaseCommand):
    help = "Expire points whose last valid day has passed; queue notices of upcoming expiries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="business day to expire for (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = points_expire(today=day_of(options["date"]))
        self.stdout.write(f"customers\t{report.customers}")
        self.stdout.write(f"points\t{report.points}")
        self.stdout.write(f"notices\t{report.notices}")
