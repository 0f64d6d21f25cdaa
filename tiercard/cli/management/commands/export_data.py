"""``tiercard export_data --kind customers|purchases|points --format xlsx|csv --as USER -o FILE``.

The same export as the web page and the API, as the named user sees it (scope and masking),
audit-logged with the interface ``cli``. Rows are written to the file as they are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.privacy.full_export import KINDS, clean_request, full_data_export


def write_chunks(path: str, chunks: Any) -> int:
    """Write a byte stream to ``path``; the number of bytes written."""
    target = Path(path)
    if not target.parent.is_dir():
        raise CommandError(f"No such directory: {target.parent}")
    size = 0
    with target.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    return size


class Command(BaseCommand):
    help = "Export every customer, purchase line or points entry the user may see to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument("--format", default="xlsx", choices=("xlsx", "csv"))
        parser.add_argument(
            "--as", "--user", dest="as_user", required=True, help="the exporting user"
        )
        parser.add_argument("-o", "--output", required=True, help="the file to write")
        parser.add_argument("--from", dest="date_from", default="", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", default="", help="last day, YYYY-MM-DD")
        parser.add_argument("--status", default="", help="customers: only this status")
        parser.add_argument("--tier", default="", help="customers: only this tier code")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["as_user"])
        raw = {k: options[k] for k in ("date_from", "date_to", "status", "tier")}
        try:
            kind, fmt, filters = clean_request(options["kind"], options["format"], raw)
            exported = full_data_export(actor=actor, kind=kind, fmt=fmt, filters=filters)
        except DomainError as error:
            raise failed(error) from error
        size = write_chunks(options["output"], exported.chunks)
        self.stdout.write(f"Wrote {options['output']} ({size} bytes, {kind}, {fmt}).")
