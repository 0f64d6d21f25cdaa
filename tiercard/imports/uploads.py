"""An uploaded file (web form or API multipart) → an import batch, with nothing left behind.

The declared size is checked before a byte is copied, so a 200 MB upload is refused at once;
the upload is then spooled to a private temporary file (the service copies it into the store
under a name it makes) and the temporary file is always removed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tiercard.accounts.models import User
from tiercard.imports.models import ImportBatch
from tiercard.imports.reading import SourceRow, check_size, open_table
from tiercard.imports.services import import_upload


class Upload(Protocol):
    name: str | None
    size: int | None

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]: ...


def upload_batch(*, actor: User, kind: str, upload: Upload) -> ImportBatch:
    """Check the size, spool the upload, and hand it to ``import_upload``."""
    check_size(int(upload.size or 0))
    handle, name = tempfile.mkstemp(prefix="tiercard-upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return import_upload(
            actor=actor, kind=kind, path=path, filename=os.path.basename(upload.name or "")
        )
    finally:
        path.unlink(missing_ok=True)


def sample_rows(batch: ImportBatch, limit: int = 3) -> list[SourceRow]:
    """The first ``limit`` data rows of a batch's stored file ([] when it cannot be read)."""
    try:
        with open_table(Path(batch.stored_path), filename=batch.filename) as table:
            rows = []
            for row in table.rows():
                rows.append(row)
                if len(rows) >= limit:
                    break
            return rows
    except Exception:  # the file is gone or was refused: show no samples
        return []
