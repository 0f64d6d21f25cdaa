"""``tiercard print_card CUSTOMER_ID --as USERNAME -o FILE``: a customer's card as a PDF.

Printed as that user would see it on the card page (scope and masking of their role) and
audit-logged as an export through the command line. ``--lang en`` prints in English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.printing.services import card_print


class Command(BaseCommand):
    help = "Print a customer's card (A4 PDF) as a user sees it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument(
            "--as", "--user", dest="username", required=True, help="the user printing"
        )
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write")
        parser.add_argument("--lang", help="zh-hans or en (default: the user's language)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["username"])
        language = options["lang"] or actor.language or "zh-hans"
        if language not in {"zh-hans", "en"}:
            raise CommandError("--lang is zh-hans or en.")
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"No such directory: {output.parent}")
        with translation.override(language):
            try:
                printed = card_print(actor=actor, customer_id=options["customer_id"])
            except DomainError as error:
                raise failed(error) from error
        output.write_bytes(printed.content)
        self.stdout.write(f"Wrote {output} ({len(printed.content):,} bytes).")
