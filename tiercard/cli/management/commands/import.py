"""``tiercard import FILE --kind customers|purchases|interactions --as USER [options]``.

Uploads FILE as an import batch, maps its columns (guessed from the headers, or a saved
``--profile``), runs the dry run and prints the counts and every problem (up to ``--show``),
then imports unless ``--dry-run``. A file with invalid rows is refused as a whole (nothing is
written) unless ``--skip-invalid``. The batch id printed at the end undoes it:
``tiercard import_undo BATCH_ID --as USER``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.errors import DomainError
from tiercard.imports.headers import mapping_from_profile
from tiercard.imports.models import ImportBatch, ImportKind, ImportMode, MatchKey
from tiercard.imports.selectors import import_problems, mapping_profiles
from tiercard.imports.services import import_check, import_commit, import_configure, import_upload


def summary(batch: ImportBatch) -> str:
    return (
        "rows {rows}: new {new}, updated {updated}, unchanged {unchanged}, invalid {invalid} "
        "(duplicates in the file {duplicates}, possible duplicates {possible_duplicates}, "
        "warnings {warnings})"
    ).format(**batch.counts())


class Command(BaseCommand):
    help = "Import customers, purchases or interactions from an .xlsx or .csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--as", "--user", dest="user", required=True, help="user name acting")
        parser.add_argument("--mode", choices=ImportMode.values, help="default: upsert")
        parser.add_argument("--key", choices=MatchKey.values, help="match key, default: phone")
        parser.add_argument("--profile", default="", help="saved mapping profile to apply")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--skip-invalid", action="store_true", help="import the valid rows")
        parser.add_argument("--show", type=int, default=50, help="problems printed at most")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["user"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        profile = None
        if options["profile"]:
            profile = (
                mapping_profiles(viewer=actor, kind=options["kind"])
                .filter(name=options["profile"])
                .first()
            )
            if profile is None:
                raise CommandError(f"No mapping profile named {options['profile']!r}.")
        try:
            batch = import_upload(actor=actor, kind=options["kind"], path=path, filename=path.name)
            mapping, mode, key = batch.field_of_column(), batch.mode, batch.match_key
            if profile is not None:
                mapping = mapping_from_profile(batch.headers, profile.mapping)
                mode, key = profile.mode, profile.match_key
            batch = import_configure(
                actor=actor,
                batch_id=batch.pk,
                mapping=mapping,
                mode=options["mode"] or mode,
                match_key=options["key"] or key,
            )
            self.stdout.write(f"batch {batch.pk}: {batch.filename} ({batch.kind})")
            for index, name in sorted(batch.field_of_column().items()):
                self.stdout.write(f"  column {batch.headers[index]!s} → {name}")
            batch = import_check(actor=actor, batch_id=batch.pk)
            self.stdout.write("check: " + summary(batch))
            self._problems(actor, batch, options["show"])
            if options["dry_run"]:
                self.stdout.write("dry run: nothing was written.")
                return
            if batch.invalid_count and not options["skip_invalid"]:
                raise CommandError(
                    f"{batch.invalid_count} invalid rows: nothing was imported "
                    "(fix the file, or use --skip-invalid)."
                )
            batch = import_commit(
                actor=actor, batch_id=batch.pk, skip_invalid=options["skip_invalid"]
            )
        except DomainError as error:
            raise failed(error) from error
        self.stdout.write(f"{batch.status}: " + summary(batch))
        if batch.status != "committed":
            self._problems(actor, batch, options["show"])
            raise CommandError("The data changed since the check; nothing was imported.")
        self.stdout.write(f"undo with: tiercard import_undo {batch.pk} --as {actor.username}")

    def _problems(self, actor: Any, batch: ImportBatch, show: int) -> None:
        shown = import_problems(viewer=actor, batch_id=batch.pk, limit=max(show, 1))
        for problem in shown[:show]:
            where = f"row {problem.row_number}" + (f", {problem.column}" if problem.column else "")
            self.stdout.write(f"  {problem.severity} {where}: {problem.message} [{problem.code}]")
        total = batch.problems.count()
        if total > show:
            self.stdout.write(f"  … {total - show} more (download the error report)")
