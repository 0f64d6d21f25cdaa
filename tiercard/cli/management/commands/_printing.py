"""What the ``tiercard print_*`` commands share: the acting user, the PDF file, the language.

A print command names what to print (``add_subject_arguments``) and makes the PDF
(``printed``); the base class checks the language and the output folder before anything is
printed, prints inside that language, turns domain errors into command errors naming their
code, and writes the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from tiercard.accounts.models import User
from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.printing.services import PrintedFile

LANGUAGES = ("zh-hans", "en")


class PrintCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as", "--user", dest="username", required=True, help="the user printing"
        )
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write")
        self.add_subject_arguments(parser)
        parser.add_argument("--lang", help="zh-hans or en (default: the user's language)")

    def add_subject_arguments(self, parser: CommandParser) -> None:
        """The arguments that say what to print."""

    def printed(self, actor: User, options: dict[str, Any]) -> PrintedFile:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["username"])
        language = options["lang"] or actor.language or "zh-hans"
        if language not in LANGUAGES:
            raise CommandError("--lang is zh-hans or en.")
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"No such directory: {output.parent}")
        with translation.override(language):
            try:
                printed = self.printed(actor, options)
            except DomainError as error:
                raise failed(error) from error
        output.write_bytes(printed.content)
        self.stdout.write(f"Wrote {output} ({len(printed.content):,} bytes).")
