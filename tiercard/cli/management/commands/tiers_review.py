"""``tiercard tiers review [--date YYYY-MM-DD] [--full]``: the daily window roll and tier review.

The same sequence as the nightly job; safe to re-run. ``--full`` reviews every membership
(after days the job did not run), not only the candidates.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import day_of
from tiercard.loyalty.tasks import run_daily


class Command(BaseCommand):
    help = "Roll the tier window and run the tier review for a day; prints what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="business day to review (default: today)")
        parser.add_argument("--full", action="store_true", help="review every membership")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_daily(today=day_of(options["date"]), full=options["full"])
        for key, value in result.items():
            self.stdout.write(f"{key}\t{value}")
