"""``tiercard print_card CUSTOMER_ID --as USERNAME -o FILE``: a customer's card as a PDF.

Printed as that user would see it on the card page (scope and masking of their role) and
audit-logged as an export through the command line. ``--lang en`` prints in English.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tiercard.accounts.models import User
from tiercard.cli.management.commands._printing import PrintCommand
from tiercard.printing.services import PrintedFile, card_print


class Command(PrintCommand):
    help = "Print a customer's card (A4 PDF) as a user sees it."

    def add_subject_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)

    def printed(self, actor: User, options: dict[str, Any]) -> PrintedFile:
        return card_print(actor=actor, customer_id=options["customer_id"])
