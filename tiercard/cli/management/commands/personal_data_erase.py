"""``tiercard personal_data_erase CUSTOMER_ID --as ADMIN --reason R --confirm CUSTOMER_ID``.

Anonymises the customer's personal data (see ``privacy.erasure``); purchases, the points
ledger and all figures stay. ``--confirm`` must repeat the customer's id: there is no undo.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.privacy.erasure import check_confirmation, customer_erase


class Command(BaseCommand):
    help = "Erase one customer's personal data by anonymisation (administrators)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument(
            "--as", "--user", dest="as_user", required=True, help="the administrator"
        )
        parser.add_argument("--reason", required=True, help="e.g. the request's reference")
        parser.add_argument("--confirm", required=True, help="the customer id again")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["as_user"])
        customer_id = options["customer_id"]
        try:
            check_confirmation(customer_id, options["confirm"])
            customer = customer_erase(
                actor=actor, customer_id=customer_id, reason=options["reason"]
            )
        except DomainError as error:
            raise failed(error) from error
        self.stdout.write(f"Customer {customer.pk} erased: now {customer.name!r}.")
