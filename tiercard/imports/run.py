"""The check (dry run) and the commit: one pass over the stored file, in chunks.

Streaming: rows come one at a time from ``reading.open_table``; units (a row, the rows of
one order, or a card's row and the rows of its further contact persons) are gathered into
chunks of ``CHUNK_ROWS`` rows; problems go to a spooled temporary file as they are found.
Memory is bounded by a chunk, plus the sets of keys seen (duplicates in the file), never by
the whole file.

Transactions:
- check: each chunk is applied through the real services inside a transaction that is then
  rolled back (Odoo's dry-run idea: the same code path finds every error the commit would);
  only the batch's own problem rows and counts are kept. Rows of later chunks do not see the
  rolled-back rows of earlier ones: duplicates inside the file are found by key instead.
  Two appliers validate without writing where writing adds nothing to the verdict: the new
  customers of a large file (``bulk_customers``) and purchases (the checkout's own value
  checks); a row they pass can still fail at commit only if the data changed meanwhile;
- commit: ONE transaction for the whole file. Each unit runs in its own savepoint: a failed
  unit is rolled back alone. All or nothing: if any unit failed, the whole transaction is
  rolled back and the batch is marked failed with its problems (zero rows written). With
  ``skip_invalid`` the failed units are left out and the rest is kept. On PostgreSQL the
  commit merges the customer row's GIN index entries in bulk (``core.gin_merge``): new
  customers and the purchase totals' updates add some sixty search keys per row.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db import transaction

from tiercard.accounts.models import User
from tiercard.core.gin_merge import GinMerge, merged_gin_entries
from tiercard.core.serving import batch_heap
from tiercard.customers.models import Customer
from tiercard.imports.apply_base import NEW, UNCHANGED, UPDATED, RowFailed, Unit
from tiercard.imports.apply_customers import CustomerApplier
from tiercard.imports.apply_interactions import InteractionApplier
from tiercard.imports.apply_purchases import PurchaseApplier, order_key
from tiercard.imports.models import ImportBatch, ImportKind, ImportProblem
from tiercard.imports.problems import RowProblem, in_every_language
from tiercard.imports.reading import open_table
from tiercard.imports.rows import ParsedRow, RowReader

CHUNK_ROWS = 500
APPLIERS: dict[str, Any] = {
    ImportKind.CUSTOMERS: CustomerApplier,
    ImportKind.PURCHASES: PurchaseApplier,
    ImportKind.INTERACTIONS: InteractionApplier,
}


class Applier(Protocol):
    def prepare(self, units: Sequence[Unit]) -> None: ...
    def apply(self, unit: Unit) -> str: ...


@dataclass
class Tally:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    duplicates: int = 0
    possible_duplicates: int = 0
    warnings: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str, rows: int) -> None:
        if outcome == NEW:
            self.new += rows
        elif outcome == UPDATED:
            self.updated += rows
        elif outcome == UNCHANGED:
            self.unchanged += rows


class ProblemSpool:
    """Problems rendered (every language) into a temporary file, written to the database
    after the run's transaction (which may be rolled back) is over."""

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by close())
            max_size=4 << 20, mode="w+", encoding="utf-8"
        )
        self.count = 0

    def add(self, problem: RowProblem) -> None:
        record = {
            "row": problem.row,
            "column": problem.column,
            "field": problem.field,
            "code": problem.code,
            "severity": problem.severity,
            "messages": in_every_language(problem.message, problem.params),
            "params": {k: v for k, v in problem.params.items() if isinstance(v, str | int)},
        }
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    def store(self, batch: ImportBatch) -> None:
        """Replace the batch's problems with the spooled ones."""
        ImportProblem.objects.filter(batch=batch).delete()
        self.file.seek(0)
        pending: list[ImportProblem] = []
        for line in self.file:
            r = json.loads(line)
            pending.append(
                ImportProblem(
                    batch=batch,
                    row_number=r["row"],
                    column=r["column"][:200],
                    field=r["field"][:60],
                    code=r["code"][:40],
                    severity=r["severity"],
                    messages=r["messages"],
                    params=r["params"],
                )
            )
            if len(pending) >= 1000:
                ImportProblem.objects.bulk_create(pending)
                pending = []
        if pending:
            ImportProblem.objects.bulk_create(pending)

    def close(self) -> None:
        self.file.close()


def units_of(
    kind: str,
    rows: Iterator[ParsedRow],
    continues: Callable[[ParsedRow, ParsedRow], bool] | None = None,
) -> Iterator[list[ParsedRow]]:
    """Rows grouped into units: purchases' consecutive rows of one order; for customers, a
    row and the rows right below it that ``continues`` (the applier's rule: more contact
    persons of the same card); else single rows."""
    if kind != ImportKind.PURCHASES and continues is None:
        for row in rows:
            yield [row]
        return

    def joins(first: ParsedRow, row: ParsedRow) -> bool:
        if continues is not None:
            return continues(first, row)
        return bool(order_key(row)) and order_key(row) == order_key(first)

    unit: list[ParsedRow] = []
    for row in rows:
        if unit and joins(unit[0], row):
            unit.append(row)
            continue
        if unit:
            yield unit
        unit = [row]
    if unit:
        yield unit


def chunks(units: Iterator[list[ParsedRow]]) -> Iterator[list[list[ParsedRow]]]:
    chunk: list[list[ParsedRow]] = []
    size = 0
    for unit in units:
        chunk.append(unit)
        size += len(unit)
        if size >= CHUNK_ROWS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _apply_unit(applier: Applier, unit: Unit, tally: Tally, spool: ProblemSpool) -> bool:
    """Apply one unit in its own savepoint; False (and problems spooled) when it failed."""
    problems = [p for row in unit for p in row.problems]
    outcome: str | list[RowProblem] = problems
    if not problems:
        try:
            with transaction.atomic():
                outcome = applier.apply(unit)
        except RowFailed as failed:
            outcome = failed.problems
            for row in unit:
                row.notes.clear()  # the unit's writes were rolled back with its notes' causes
    return _record(unit, outcome, tally, spool)


def _record(unit: Unit, outcome: str | list[RowProblem], tally: Tally, spool: ProblemSpool) -> bool:
    """Count a unit's outcome and spool its notes and problems; False when it failed."""
    problems = outcome if isinstance(outcome, list) else []
    if isinstance(outcome, str):
        tally.add(outcome, len(unit))
    for row in unit:
        for note in row.notes:
            spool.add(note)
            tally.warnings += 1
            tally.possible_duplicates += note.code == "possible_duplicate"
            tally.duplicates += note.code == "duplicate_in_file"  # a repeat counted unchanged
    if problems:
        tally.invalid += len(unit)
        tally.duplicates += len(unit) if any(p.code == "duplicate_in_file" for p in problems) else 0
        for p in problems:
            spool.add(p)
        return False
    return True


def _run_chunks(
    batch: ImportBatch,
    actor: User,
    tally: Tally,
    spool: ProblemSpool,
    *,
    dry_run: bool,
    path: Path,
    gin: GinMerge | None = None,
) -> None:
    mapping = batch.field_of_column()
    headers = list(batch.headers)
    reader = RowReader(batch.kind, mapping, headers)
    applier: Applier = APPLIERS[batch.kind](batch, actor, reader.header_of)
    if hasattr(applier, "dry_run"):
        applier.dry_run = dry_run
    with open_table(path, filename=batch.filename, whole_file=True) as table:
        rows = reader.read_all(table.rows())
        continues = getattr(applier, "continues", None)
        for chunk in chunks(units_of(batch.kind, rows, continues)):
            with transaction.atomic():
                applier.prepare(chunk)
                tally.rows += sum(len(unit) for unit in chunk)
                units: Sequence[Unit] = chunk
                if getattr(applier, "apply_bulk", None) is not None:
                    units, done = applier.apply_bulk(chunk, dry_run=dry_run)  # type: ignore[attr-defined]
                    for unit, outcome in done:
                        _record(unit, outcome, tally, spool)
                for unit in units:
                    _apply_unit(applier, unit, tally, spool)
                if dry_run:
                    transaction.set_rollback(True)
            if gin is not None:
                gin.wrote(sum(len(unit) for unit in chunk))
            ImportBatch.objects.filter(pk=batch.pk).update(progress=tally.rows)


def check(batch: ImportBatch, actor: User, path: Path) -> tuple[Tally, ProblemSpool]:
    """Dry run: counts and problems; every write rolled back chunk by chunk."""
    tally, spool = Tally(), ProblemSpool()
    with batch_heap():
        _run_chunks(batch, actor, tally, spool, dry_run=True, path=path)
    return tally, spool


class _AllOrNothing(Exception):
    pass


def commit(
    batch: ImportBatch, actor: User, path: Path, *, skip_invalid: bool
) -> tuple[Tally, ProblemSpool, bool]:
    """(tally, problems, kept): ``kept`` False when invalid rows refused the whole file."""
    tally, spool = Tally(), ProblemSpool()
    try:
        with batch_heap(), transaction.atomic():
            with merged_gin_entries(Customer) as gin:
                _run_chunks(batch, actor, tally, spool, dry_run=False, path=path, gin=gin)
            if tally.invalid and not skip_invalid:
                raise _AllOrNothing()
    except _AllOrNothing:
        return tally, spool, False
    return tally, spool, True
