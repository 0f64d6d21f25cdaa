"""The error report: the rejected rows of a batch as xlsx, with their row numbers and reasons.

The original cells are read again from the stored file (one pass, streamed) for the rows that
have errors; each output row holds the row number, the reasons (in the viewer's language) and
the original cells, formula-neutralised by ``tiercard.exports.writers``. Every report is
audited as an export before the first byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.exports import writers
from tiercard.imports.batches import stored_file
from tiercard.imports.models import ImportProblem, ProblemSeverity
from tiercard.imports.reading import open_table
from tiercard.imports.selectors import import_batch_get
from tiercard.listviews.export import ExportFile


def _reasons(batch_id: int) -> Iterator[tuple[int, str]]:
    """(row, joined reasons) in row order, one problem row at a time."""
    current, texts = None, []
    problems = (
        ImportProblem.objects.filter(batch_id=batch_id, severity=ProblemSeverity.ERROR)
        .exclude(row_number=0)
        .order_by("row_number", "id")
        .iterator(chunk_size=1000)
    )
    for problem in problems:
        if current is not None and problem.row_number != current:
            yield current, "；".join(texts)
            texts = []
        current = problem.row_number
        prefix = f"{problem.column}: " if problem.column else ""
        texts.append(prefix + problem.message)
    if current is not None:
        yield current, "；".join(texts)


def error_report(*, viewer: User, batch_id: int) -> ExportFile:
    """The xlsx of the batch's rejected rows (NotFound outside the viewer's batches)."""
    batch = import_batch_get(viewer=viewer, batch_id=batch_id)
    path = stored_file(batch)
    with transaction.atomic():
        audit_record(
            actor=viewer,
            action=AuditAction.EXPORT,
            obj=batch,
            changes={"format": "xlsx", "report": "import errors", "rows": batch.invalid_count},
        )
    language = translation.get_language()
    header = [gettext("Row"), gettext("Reasons"), *[str(h) for h in batch.headers]]

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            reasons = _reasons(batch.pk)
            wanted = next(reasons, None)
            if wanted is None:
                return
            with open_table(path, filename=batch.filename, whole_file=True) as table:
                for source in table.rows():
                    while wanted is not None and wanted[0] < source.number:
                        wanted = next(reasons, None)  # a row the reader no longer yields
                    if wanted is None:
                        return
                    if wanted[0] == source.number:
                        yield [source.number, wanted[1], *source.cells]
                        wanted = next(reasons, None)

    return ExportFile(
        filename=f"import-{batch.pk}-errors.xlsx",
        content_type=writers.XLSX_CONTENT_TYPE,
        chunks=writers.xlsx_stream(header, rows(), title=gettext("Rejected rows")),
    )
