"""Background runs of the check and the commit for large files (django-tasks).

Both are safe to re-run: a check replaces the batch's problems and counts; a commit of an
already committed batch is refused (``import_already_committed``), and re-applying a file
changes nothing anyway. Arguments are JSON-safe ids.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from tiercard.accounts.models import User
from tiercard.core.context import interface

SUMMARY = ("rows", "new", "updated", "unchanged", "invalid")
"""The figures a task's result carries (the batch page shows the rest)."""


def _summary(batch: Any) -> dict[str, Any]:
    counts = batch.counts()
    return {"batch": batch.pk, "status": batch.status} | {k: counts[k] for k in SUMMARY}


@task()
def run_import_check(user_id: int, batch_id: int) -> dict[str, Any]:
    from tiercard.imports.services import import_check

    actor = User.objects.get(pk=user_id)
    with interface("task"):
        return _summary(import_check(actor=actor, batch_id=batch_id))


@task()
def run_import_commit(user_id: int, batch_id: int, skip_invalid: bool = False) -> dict[str, Any]:
    from tiercard.imports.services import import_commit

    actor = User.objects.get(pk=user_id)
    with interface("task"):
        return _summary(import_commit(actor=actor, batch_id=batch_id, skip_invalid=skip_invalid))
