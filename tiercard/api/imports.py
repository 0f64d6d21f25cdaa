"""Imports (导入): upload a file, set its mapping, dry run, commit, undo; read batches and
their problems; download the error report.

The flow is the web pages' flow: ``POST /imports`` (multipart: ``kind``, ``file``) → ``PUT
/imports/{id}/mapping`` → ``POST /imports/{id}/check`` → ``POST /imports/{id}/commit`` →
``POST /imports/{id}/undo``; ``GET /imports/profiles`` lists the saved mapping profiles the
caller may use. A refused file answers 400 with its stable code
(``import_empty``, ``import_encoding``, ``import_too_large``, ``import_too_many_columns``,
``import_merged_header``, ``import_unsafe_file``, ``import_format``) and stores nothing.
Batches of other users answer 404 unless the caller's role sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from tiercard.api.auth import viewer
from tiercard.api.data_exports import stream_response
from tiercard.api.errors import error_responses
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.imports import headers as h
from tiercard.imports import selectors
from tiercard.imports.models import ImportBatch, ImportKind, ImportProblem
from tiercard.imports.permissions import can_import
from tiercard.imports.report import error_report
from tiercard.imports.services import import_check, import_commit, import_configure, import_undo
from tiercard.imports.uploads import upload_batch

router = Router(tags=["imports"])

MAX_PAGE = 200


class CountsOut(Schema):
    rows: int
    new: int
    updated: int
    unchanged: int
    invalid: int
    duplicates: int = Field(description="Rows repeating an earlier row of the same file.")
    possible_duplicates: int = Field(description="New rows that look like existing cards.")
    warnings: int


class BatchOut(Schema):
    id: int
    kind: str
    filename: str
    status: str = Field(description="uploaded | checked | committed | failed | undone")
    mode: str
    match_key: str
    headers: list[str]
    mapping: dict[str, str] = Field(description="Column index (as text) → field name.")
    missing_required: list[str]
    encoding: str
    sheet: str
    size: int
    skip_invalid: bool
    counts: CountsOut
    progress: int
    error_code: str
    created_by: str | None
    created_at: dt.datetime
    checked_at: dt.datetime | None
    committed_at: dt.datetime | None
    undone_at: dt.datetime | None


class BatchPage(Schema):
    items: list[BatchOut]
    next: str | None


class ProblemOut(Schema):
    id: int
    row: int = Field(description="Row number as Excel shows it; 0 for the whole file.")
    column: str
    field: str
    code: str
    severity: str
    message: str


class ProblemPage(Schema):
    items: list[ProblemOut]
    next: str | None


class FieldOut(Schema):
    name: str
    label: str
    required: bool


class MappingIn(Schema):
    mapping: dict[str, str] = Field(description="Column index (0-based, as text) → field name.")
    mode: str = "upsert"
    match_key: str = "phone"
    profile_name: str = Field("", max_length=80)
    share_profile: bool = False


class CommitIn(Schema):
    skip_invalid: bool = False


class ProfileOut(Schema):
    id: int
    name: str
    kind: str
    mode: str
    match_key: str
    mapping: dict[str, str] = Field(description="Header (normalised) → field name.")
    shared: bool
    owner: str = Field(description="User name of the profile's owner.")
    own: bool = Field(description="Whether the caller owns it (else it is shared).")
    updated_at: dt.datetime


def batch_out(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "filename": batch.filename,
        "status": batch.status,
        "mode": batch.mode,
        "match_key": batch.match_key,
        "headers": list(batch.headers),
        "mapping": {str(k): v for k, v in batch.field_of_column().items()},
        "missing_required": h.missing_required(
            batch.kind, batch.field_of_column(), mode=batch.mode, match_key=batch.match_key
        ),
        "encoding": batch.encoding,
        "sheet": batch.sheet,
        "size": batch.size,
        "skip_invalid": batch.skip_invalid,
        "counts": batch.counts(),
        "progress": batch.progress,
        "error_code": batch.error_code,
        "created_by": batch.created_by.username if batch.created_by else None,
        "created_at": batch.created_at,
        "checked_at": batch.checked_at,
        "committed_at": batch.committed_at,
        "undone_at": batch.undone_at,
    }


def problem_out(problem: ImportProblem) -> dict[str, Any]:
    return {
        "id": problem.pk,
        "row": problem.row_number,
        "column": problem.column,
        "field": problem.field,
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
    }


def _importer(request: HttpRequest) -> Any:
    user = viewer(request)
    if not can_import(user):
        raise PermissionDenied(_("Your role may not import data."))
    return user


def _cursor(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationFailed(fields={"cursor": [_("This cursor is not valid.")]})
    return int(raw)


def _limit(limit: int | None, default: int = 50) -> int:
    return min(limit or default, MAX_PAGE)


@router.post(
    "/imports",
    response={201: BatchOut, **error_responses(400, 403)},
    summary="Upload a file (multipart: kind, file) as a new import batch",
)
def upload(request: HttpRequest, kind: Form[str], file: File[UploadedFile]) -> Status:
    """Reads the header and guesses the mapping (or applies a saved profile whose headers
    match). Nothing is imported yet."""
    user = _importer(request)
    batch = upload_batch(actor=user, kind=kind, upload=file)
    return Status(201, batch_out(selectors.import_batch_get(viewer=user, batch_id=batch.pk)))


@router.get("/imports", response={200: BatchPage, **error_responses(403)})
def list_batches(
    request: HttpRequest,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    """The caller's batches (managers: their team's too; admins: all), newest first."""
    user = _importer(request)
    size = _limit(limit)
    batches = selectors.import_batches(viewer=user).order_by("-id")
    after = _cursor(cursor)
    if after is not None:
        batches = batches.filter(pk__lt=after)
    page = list(batches[: size + 1])
    more = len(page) > size
    page = page[:size]
    return {"items": [batch_out(b) for b in page], "next": str(page[-1].pk) if more else None}


@router.get("/imports/fields", response={200: list[FieldOut], **error_responses(403)})
def list_fields(request: HttpRequest, kind: str) -> list[dict[str, Any]]:
    """The fields a column of a ``kind`` import can be mapped to."""
    _importer(request)
    try:
        specs = selectors.import_field_choices(kind)
    except ValueError:
        raise ValidationFailed(
            fields={"kind": [_("Choose customers, purchases or interactions.")]}
        ) from None
    return [{"name": s.name, "label": str(s.label), "required": s.required} for s in specs]


@router.get(
    "/imports/profiles",
    response={200: list[ProfileOut], **error_responses(403)},
    summary="Saved mapping profiles the caller may use",
)
def list_profiles(
    request: HttpRequest, kind: Annotated[str | None, Query(max_length=16)] = None
) -> list[dict[str, Any]]:
    """The caller's own profiles and the shared ones, by name (of one ``kind``, or of every
    kind the caller may import). A profile is applied by an upload whose headers include all
    of its headers; ``profile_name`` in ``PUT /imports/{id}/mapping`` saves one."""
    user = _importer(request)
    if kind is not None and kind not in ImportKind.values:
        raise ValidationFailed(fields={"kind": [_("Choose customers, purchases or interactions.")]})
    profiles = selectors.mapping_profiles(viewer=user, kind=kind).select_related("owner")
    return [
        {
            "id": p.pk,
            "name": p.name,
            "kind": p.kind,
            "mode": p.mode,
            "match_key": p.match_key,
            "mapping": dict(p.mapping),
            "shared": p.shared,
            "owner": p.owner.username,
            "own": p.owner_id == user.pk,
            "updated_at": p.updated_at,
        }
        for p in profiles[:MAX_PAGE]
    ]


@router.get("/imports/{int:batch_id}", response={200: BatchOut, **error_responses(403, 404)})
def get_batch(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    user = _importer(request)
    return batch_out(selectors.import_batch_get(viewer=user, batch_id=batch_id))


@router.put(
    "/imports/{int:batch_id}/mapping",
    response={200: BatchOut, **error_responses(403, 404, 409)},
    summary="Set the column mapping, mode and match key (optionally save them as a profile)",
)
def set_mapping(request: HttpRequest, batch_id: int, payload: MappingIn) -> dict[str, Any]:
    user = _importer(request)
    mapping: dict[Any, str] = dict(payload.mapping)
    batch = import_configure(
        actor=user,
        batch_id=batch_id,
        mapping=mapping,
        mode=payload.mode,
        match_key=payload.match_key,
        profile_name=payload.profile_name,
        share_profile=payload.share_profile,
    )
    return batch_out(batch)


@router.post(
    "/imports/{int:batch_id}/check",
    response={200: BatchOut, **error_responses(400, 403, 404, 409)},
    summary="Dry run: counts and every invalid row; writes nothing",
)
def check(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    user = _importer(request)
    return batch_out(import_check(actor=user, batch_id=batch_id))


@router.post(
    "/imports/{int:batch_id}/commit",
    response={200: BatchOut, **error_responses(400, 403, 404, 409)},
    summary="Import the checked batch: all or nothing, or skipping invalid rows",
)
def commit(request: HttpRequest, batch_id: int, payload: CommitIn) -> dict[str, Any]:
    """409 ``import_not_checked`` before a dry run; 409 ``import_invalid_rows`` when rows are
    invalid and ``skip_invalid`` is false (nothing written)."""
    user = _importer(request)
    return batch_out(
        import_commit(actor=user, batch_id=batch_id, skip_invalid=payload.skip_invalid)
    )


@router.post(
    "/imports/{int:batch_id}/undo",
    response={200: BatchOut, **error_responses(403, 404, 409)},
    summary="Undo a committed batch (managers and admins)",
)
def undo(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    user = _importer(request)
    return batch_out(import_undo(actor=user, batch_id=batch_id))


@router.get(
    "/imports/{int:batch_id}/problems",
    response={200: ProblemPage, **error_responses(403, 404)},
)
def list_problems(
    request: HttpRequest,
    batch_id: int,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    """The batch's problems in row order (row, column, reason), keyset paged."""
    user = _importer(request)
    size = _limit(limit, 100)
    items = selectors.import_problems(
        viewer=user, batch_id=batch_id, after=_cursor(cursor), limit=size + 1
    )
    more = len(items) > size
    items = items[:size]
    return {"items": [problem_out(p) for p in items], "next": str(items[-1].pk) if more else None}


@router.get(
    "/imports/{int:batch_id}/errors.xlsx",
    response=error_responses(403, 404, 409),
    openapi_extra={
        "responses": {
            200: {
                "description": "The rejected rows with their reasons (xlsx).",
                "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    },
    summary="Error report of a batch",
)
def errors_report(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _importer(request)
    report = error_report(viewer=user, batch_id=batch_id)
    return stream_response(report.chunks, report.content_type, report.filename)
