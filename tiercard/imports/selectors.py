"""Reads of import batches, their problems and the saved mapping profiles, scoped by viewer.

A batch outside the viewer's reach (``permissions.batches_visible_to``) is *not found*.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound
from tiercard.imports.headers import FieldSpec, fields_for
from tiercard.imports.models import ImportBatch, ImportKind, ImportProblem, MappingProfile
from tiercard.imports.permissions import batches_visible_to, can_import

MAX_PROBLEMS_PAGE = 500


def import_batches(*, viewer: User) -> QuerySet[ImportBatch]:
    """The viewer's batches, newest first."""
    return batches_visible_to(viewer).select_related("created_by").order_by("-created_at", "-id")


def import_batch_get(*, viewer: User, batch_id: int | str) -> ImportBatch:
    try:
        pk = int(batch_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    batch = import_batches(viewer=viewer).filter(pk=pk).first()
    if batch is None:
        raise NotFound()
    return batch


def import_problems(
    *, viewer: User, batch_id: int | str, after: int | None = None, limit: int = 100
) -> list[ImportProblem]:
    """A page of the batch's problems in row order; ``after`` is the last problem id seen
    (keyset paging: row numbers repeat when a row has several problems)."""
    batch = import_batch_get(viewer=viewer, batch_id=batch_id)
    problems = ImportProblem.objects.filter(batch=batch).order_by("row_number", "id")
    if after is not None:
        last = (
            ImportProblem.objects.filter(batch=batch, pk=after)
            .values_list("row_number", flat=True)
            .first()
        )
        if last is not None:
            problems = problems.filter(Q(row_number__gt=last) | Q(row_number=last, pk__gt=after))
    return list(problems[: max(1, min(limit, MAX_PROBLEMS_PAGE))])


def mapping_profiles(*, viewer: User, kind: str | None) -> QuerySet[MappingProfile]:
    """The viewer's own profiles of ``kind`` and the shared ones (``None``: of every kind the
    viewer may import); never another user's private profile."""
    kinds = [k for k in ImportKind.values if k == kind or kind is None]
    kinds = [k for k in kinds if can_import(viewer, k)]
    if not kinds:
        return MappingProfile.objects.none()
    return MappingProfile.objects.filter(Q(owner=viewer) | Q(shared=True), kind__in=kinds).order_by(
        "name", "id"
    )


def import_field_choices(kind: str) -> tuple[FieldSpec, ...]:
    """The fields a column of a ``kind`` import can be mapped to."""
    return fields_for(kind)
