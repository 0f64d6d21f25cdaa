"""``tiercard import_undo BATCH_ID --as USER`` (also ``tiercard import undo ...``): reverse a
committed import batch through the owning services; conflicts are listed, not overwritten."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.imports.models import ImportProblem
from tiercard.imports.services import import_undo


class Command(BaseCommand):
    help = "Undo a committed import batch (managers and administrators)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--as", "--user", dest="user", required=True, help="user name acting")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["user"])
        try:
            batch = import_undo(actor=actor, batch_id=options["batch_id"])
        except DomainError as error:
            raise failed(error) from error
        conflicts = ImportProblem.objects.filter(batch=batch, code="undo_conflict")
        self.stdout.write(f"batch {batch.pk} undone; {conflicts.count()} conflicts")
        for problem in conflicts:
            self.stdout.write(f"  row {problem.row_number}: {problem.message}")
