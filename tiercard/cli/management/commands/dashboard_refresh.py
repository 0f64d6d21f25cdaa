"""``tiercard dashboard_refresh [--date YYYY-MM-DD]``: recompute the dashboard's figures.

Set-based and safe to re-run; schedule it (e.g. every 15 minutes) for books larger than
``TIERCARD_DASHBOARD_INLINE_CUSTOMERS``, which the page does not refresh by itself.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.analytics.rollup import dashboard_refresh
from tiercard.cli.management.commands._tiers import day_of


class Command(BaseCommand):
    help = "Recompute the dashboard's figures for a business day (default: today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="business day to figure (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        state = dashboard_refresh(day_of(options["date"]))
        self.stdout.write(f"Dashboard figures as of {state.as_of} in {state.seconds:.1f} s.")
