"""``tiercard outbox deliver [--limit N]``: mail pending tier and points messages."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.loyalty.services.notify import outbox_deliver


class Command(BaseCommand):
    help = "Send pending outbox messages (tier upgrades, downgrade warnings, expiring points)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=200, help="messages per run")

    def handle(self, *args: Any, **options: Any) -> None:
        report = outbox_deliver(limit=options["limit"])
        self.stdout.write(
            f"sent\t{report.sent}\nskipped\t{report.skipped}\nfailed\t{report.failed}"
        )
