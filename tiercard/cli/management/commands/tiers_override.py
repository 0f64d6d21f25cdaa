"""``tiercard tiers override CUSTOMER_ID TIER --user U --approver A --until D --reason R``.

With ``--clear`` (and no TIER) the override ends now.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.cli.management.commands._tiers import day_of, failed, user_of
from tiercard.core.errors import DomainError
from tiercard.loyalty.services.overrides import tier_override, tier_override_clear


class Command(BaseCommand):
    help = "Set a customer's tier by hand until a date (manager or administrator), or clear it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument("tier", nargs="?")
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="manager or administrator acting"
        )
        parser.add_argument("--approver", help="approving manager or administrator")
        parser.add_argument("--until", help="last day of the override, YYYY-MM-DD")
        parser.add_argument("--reason", default="")
        parser.add_argument("--clear", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["user"])
        try:
            if options["clear"]:
                tier_override_clear(
                    actor=actor, customer_id=options["customer_id"], reason=options["reason"]
                )
                self.stdout.write(f"Override of customer {options['customer_id']} cleared.")
                return
            if not options["tier"] or not options["until"] or not options["approver"]:
                raise CommandError("Give TIER, --until and --approver (or --clear).")
            row = tier_override(
                actor=actor,
                customer_id=options["customer_id"],
                tier_code=options["tier"],
                reason=options["reason"],
                approver_id=user_of(options["approver"]).pk,
                until=day_of(options["until"]),
            )
        except DomainError as error:
            raise failed(error) from error
        self.stdout.write(f"Customer {row.pk} is {row.tier} until {row.lock_until}.")
