"""``tiercard export_table --as USER -o FILE [--format xlsx|csv] [--view ID] [--city 上海 ...]``.

The member table view as a file, exactly as the web page and the API export it
(``listviews.export.member_table_export``): the user's scope, the view's filters, sort and
columns (filters given here replace a saved view's), phones masked for the user's role, CSV
with a BOM or xlsx, formula-like cells neutralised, audit-logged with the interface ``cli``.
Headers are in ``--lang`` (default: the user's language). Rows are written as they are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from tiercard.cli.management.commands._printing import LANGUAGES
from tiercard.cli.management.commands._table_view import add_view_arguments, view_of
from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.cli.management.commands.export_data import write_chunks
from tiercard.core.errors import DomainError
from tiercard.exports.writers import FORMATS
from tiercard.listviews.export import member_table_export


class Command(BaseCommand):
    help = "Export the member table of a view (its filters, sort and columns) to xlsx or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as", "--user", dest="username", required=True, help="the exporting user"
        )
        parser.add_argument("-o", "--output", required=True, help="the file to write")
        parser.add_argument("--format", default="xlsx", choices=sorted(FORMATS))
        add_view_arguments(parser)
        parser.add_argument("--lang", help="zh-hans or en (default: the user's language)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["username"])
        language = options["lang"] or actor.language or "zh-hans"
        if language not in LANGUAGES:
            raise CommandError("--lang is zh-hans or en.")
        folder = Path(options["output"]).parent
        if not folder.is_dir():  # before the export is logged
            raise CommandError(f"No such directory: {folder}")
        with translation.override(language):
            try:
                view = view_of(actor, options)
                exported = member_table_export(actor=actor, view=view, fmt=options["format"])
            except DomainError as error:
                raise failed(error) from error
            size = write_chunks(options["output"], exported.chunks)
        self.stdout.write(f"Wrote {options['output']} ({size:,} bytes, {options['format']}).")
