"""``tiercard tiers draft --user ADMIN (--preset NAME | --file RULES.json) --note TEXT``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.loyalty.services.ladders import ladder_draft_create


class Command(BaseCommand):
    help = "Store a new, inactive programme version from a preset or a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="administrator acting"
        )
        parser.add_argument("--preset", help="default or card")
        parser.add_argument("--file", help="programme rules as JSON")
        parser.add_argument("--note", default="", help="what changes and why")

    def handle(self, *args: Any, **options: Any) -> None:
        rules = None
        if options["file"]:
            try:
                rules = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read {options['file']}: {error}") from error
        try:
            draft = ladder_draft_create(
                actor=user_of(options["user"]),
                rules=rules,
                preset=options["preset"],
                note=options["note"],
            )
        except DomainError as error:
            raise failed(error) from error
        self.stdout.write(f"Draft version {draft.version} stored (inactive).")
