"""The import services: upload, configure, check (dry run), commit, undo.

All keyword-only with the actor first, audited at batch level (the services they call audit
each record as well). The steps:

1. ``import_upload`` stores the file and guesses the mapping (``batches``);
2. ``import_configure`` sets mapping, mode and key, optionally saving a profile;
3. ``import_check`` reads every row through the same services (or their own validation) the
   commit uses and rolls everything back: counts new / updated / unchanged / invalid,
   duplicates in the file and every problem with its row, column and reason; nothing but the
   batch's own rows is kept;
4. ``import_commit`` applies the file in one transaction: all or nothing, or skipping the
   invalid rows when asked; a file with invalid rows is refused at once unless skipping;
5. ``import_undo`` (``undo``) reverses a committed batch through the owning services.

Re-running a file changes nothing: customers are matched by key, purchases carry their
order number as a unique reference, interactions are recognised by customer, time, kind and
content, opening points by a per-customer key.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, ValidationFailed
from tiercard.imports import headers as h
from tiercard.imports import run
from tiercard.imports.batches import (
    batch_for_write,
    ensure_open,
    import_configure,
    import_upload,
    stored_file,
)
from tiercard.imports.models import ImportBatch, ImportStatus
from tiercard.imports.undo import import_undo

__all__ = ["import_check", "import_commit", "import_configure", "import_undo", "import_upload"]


def _ready(actor: User, batch_id: int) -> ImportBatch:
    with transaction.atomic():
        batch = batch_for_write(actor, batch_id)
        ensure_open(batch)
        missing = h.missing_required(
            batch.kind, batch.field_of_column(), mode=batch.mode, match_key=batch.match_key
        )
        if missing:
            labels = [str(getattr(h.field_spec(batch.kind, n), "label", n)) for n in missing]
            raise ValidationFailed(
                _("Map a column to each required field first: %(fields)s.")
                % {"fields": "、".join(labels)},
                code="import_mapping",
                fields={"mapping": [_("Required fields are not mapped.")]},
            )
    return batch


def _save_tally(batch: ImportBatch, tally: run.Tally) -> None:
    batch.rows_total = tally.rows
    batch.new_count, batch.updated_count = tally.new, tally.updated
    batch.unchanged_count, batch.invalid_count = tally.unchanged, tally.invalid
    batch.duplicate_count = tally.duplicates
    batch.possible_duplicates = tally.possible_duplicates
    batch.warning_count = tally.warnings
    batch.progress = tally.rows


def import_check(*, actor: User, batch_id: int) -> ImportBatch:
    """Dry run (see the module docstring). The batch ends ``checked`` with its counts."""
    batch = _ready(actor, batch_id)
    path = stored_file(batch)
    tally, spool = run.check(batch, actor, path)
    try:
        with transaction.atomic():
            spool.store(batch)
            _save_tally(batch, tally)
            batch.status = ImportStatus.CHECKED
            batch.checked_at = timezone.now()
            batch.error_code = ""
            batch.save()
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=batch,
                changes={"checked": batch.counts()},
                note="import check (dry run)",
            )
    finally:
        spool.close()
    return batch


def import_commit(*, actor: User, batch_id: int, skip_invalid: bool) -> ImportBatch:
    """Apply the checked batch. Refused (``import_invalid_rows``, nothing written) when the
    check found invalid rows and ``skip_invalid`` is false; when rows turn invalid during the
    commit itself (the data changed since the check), the whole file is rolled back and the
    batch is marked ``failed`` with the problems."""
    batch = _ready(actor, batch_id)
    if batch.status != ImportStatus.CHECKED:
        raise Conflict(
            _("Check the file (dry run) before importing it."), code="import_not_checked"
        )
    if batch.invalid_count and not skip_invalid:
        raise Conflict(
            _("%(n)s rows are invalid. Fix the file, or choose to skip invalid rows.")
            % {"n": batch.invalid_count},
            code="import_invalid_rows",
        )
    path = stored_file(batch)
    tally, spool, kept = run.commit(batch, actor, path, skip_invalid=skip_invalid)
    try:
        with transaction.atomic():
            spool.store(batch)
            _save_tally(batch, tally)
            batch.skip_invalid = skip_invalid
            if kept:
                batch.status = ImportStatus.COMMITTED
                batch.committed_at = timezone.now()
                batch.committed_by = actor
                batch.error_code = ""
            else:
                batch.status = ImportStatus.FAILED
                batch.error_code = "import_invalid_rows"
                batch.new_count = batch.updated_count = 0
            batch.save()
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=batch,
                changes={
                    "committed" if kept else "refused": batch.counts(),
                    "skip_invalid": skip_invalid,
                },
                note="import commit" if kept else "import refused: invalid rows, nothing written",
            )
    finally:
        spool.close()
    return batch
