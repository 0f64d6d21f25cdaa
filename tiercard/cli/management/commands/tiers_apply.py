"""``tiercard tiers apply VERSION --user ADMIN [--date D]``: activate a version, regrade all."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import day_of, failed, user_of
from tiercard.core.errors import DomainError
from tiercard.loyalty.services.ladders import ladder_apply


class Command(BaseCommand):
    help = "Activate programme VERSION and move every customer to their tier under it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int)
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="administrator acting"
        )
        parser.add_argument("--date", help="business day (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = ladder_apply(
                actor=user_of(options["user"]),
                version=options["version"],
                today=day_of(options["date"]),
            )
        except DomainError as error:
            raise failed(error) from error
        self.stdout.write(
            f"v{report.previous_version} -> v{report.version}: {report.changed} of "
            f"{report.memberships} customers changed tier"
            + (" (window figures rebuilt)" if report.window_rebuilt else "")
        )
