"""``tiercard tiers dry-run VERSION --user ADMIN [--date D] [--samples N]``: the move matrix."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import day_of, failed, user_of
from tiercard.core.errors import DomainError
from tiercard.loyalty.services.ladders import ladder_dry_run


class Command(BaseCommand):
    help = "Show how many customers would move between tiers if VERSION were applied."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int)
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="administrator acting"
        )
        parser.add_argument("--date", help="business day (default: today)")
        parser.add_argument(
            "--samples", type=int, default=2, help="example customers per move (at most 2)"
        )
        parser.add_argument(
            "--exact",
            action="store_true",
            help="when the window changes, rebuild the figures (rolled back; purchases wait)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = ladder_dry_run(
                actor=user_of(options["user"]),
                version=options["version"],
                today=day_of(options["date"]),
                samples=options["samples"],
                exact=options["exact"],
            )
        except DomainError as error:
            raise failed(error) from error
        self.stdout.write(f"v{run.active_version} -> v{run.version}")
        for old, row in run.matrix.items():
            for new, count in row.items():
                sample = run.samples.get(old, {}).get(new, [])
                shown = f"\te.g. {', '.join(map(str, sample))}" if sample else ""
                self.stdout.write(f"{old}\t-> {new}\t{count}{shown}")
        self.stdout.write(f"total\t{run.total}\tchanged\t{run.changed}")
        if run.window_changed:
            self.stdout.write(
                "The window changes: counted over figures rebuilt for the new window."
                if run.exact
                else "The window changes: an estimate over today's figures (--exact to count)."
            )
