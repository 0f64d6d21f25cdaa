"""``tiercard personal_data_export CUSTOMER_ID --as USER -o FILE.zip``: one customer's data.

Everything held about the customer (PIPL art. 45): a zip with a JSON document and an xlsx
workbook, unmasked; admins and managers (their team) only; audit-logged.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.cli.management.commands.export_data import write_chunks
from tiercard.core.errors import DomainError
from tiercard.privacy.subject_export import personal_data_export


class Command(BaseCommand):
    help = "Write everything held about one customer (JSON + xlsx in a zip) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument(
            "--as", "--user", dest="as_user", required=True, help="the exporting user"
        )
        parser.add_argument("-o", "--output", required=True, help="the zip file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["as_user"])
        try:
            exported = personal_data_export(actor=actor, customer_id=options["customer_id"])
        except DomainError as error:
            raise failed(error) from error
        size = write_chunks(options["output"], exported.chunks)
        self.stdout.write(f"Wrote {options['output']} ({size} bytes).")
