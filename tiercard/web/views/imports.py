"""导入: upload a spreadsheet, map its columns, dry run, commit, and undo — one batch at a time.

upload (kind + file; a refused file is explained beside the field, nothing is stored)
→ mapping (each column with three sample values and the field it goes to; mode and key;
saved profiles) → the batch page (dry-run counts and every invalid row, paged; commit with
confirmation; error report; undo) and the list of batches. Views only call the import
services and selectors; their errors are shown beside the fields or as a page message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_tasks import TaskResultStatus

from tiercard.accounts.models import Role, User
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.imports import headers as h
from tiercard.imports import selectors
from tiercard.imports.models import ImportBatch, ImportKind, ImportStatus
from tiercard.imports.permissions import can_import, can_undo_import
from tiercard.imports.reading import ImportFileError
from tiercard.imports.report import error_report
from tiercard.imports.services import (
    import_check,
    import_commit,
    import_configure,
    import_undo,
)
from tiercard.imports.tasks import run_import_check, run_import_commit
from tiercard.imports.uploads import sample_rows, upload_batch
from tiercard.web.downloads import stream_response
from tiercard.web.errors import web_view
from tiercard.web.import_forms import (
    CommitForm,
    MappingForm,
    ProfileChoiceForm,
    UndoForm,
    UploadForm,
)
from tiercard.web.requests import posted, viewer

LIST_PAGE = 50
PROBLEMS_PAGE = 100
OPEN = (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED)


def _require_importer(user: User) -> None:
    if not can_import(user):
        raise PermissionDenied(_("Your role may not import data."))


def _batch(user: User, pk: int) -> ImportBatch:
    _require_importer(user)
    return selectors.import_batch_get(viewer=user, batch_id=pk)


@web_view
@require_http_methods(["GET"])
def import_list_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    _require_importer(user)
    before = request.GET.get("before", "")
    batches = selectors.import_batches(viewer=user).select_related("created_by")
    if before.isdigit():
        batches = batches.filter(pk__lt=int(before))
    page = list(batches.order_by("-id")[: LIST_PAGE + 1])
    more = len(page) > LIST_PAGE
    page = page[:LIST_PAGE]
    context = {
        "batches": page,
        "next_before": page[-1].pk if more else None,
        "paged": bool(before),
    }
    return render(request, "web/imports/list.html", context)


@web_view
@require_http_methods(["GET", "POST"])
def import_new_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    _require_importer(user)
    form = UploadForm(posted(request), request.FILES or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = upload_batch(
                    actor=user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
                )
            except ImportFileError as error:
                form.add_error("file", str(error.message))
            except ValidationFailed as error:
                _add_errors(form, error)
            else:
                return redirect("web:import_mapping", pk=batch.pk)
    context = {"form": form, "max_mb": _max_mb()}
    return render(request, "web/imports/new.html", context, status=status)


def _max_mb() -> str:
    from django.conf import settings

    from tiercard.imports.reading import DEFAULT_MAX_BYTES

    size = int(getattr(settings, "TIERCARD_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    return f"{size / 2**20:.0f}"


def _add_errors(form: Any, error: ValidationFailed) -> None:
    placed = False
    for name, texts in error.fields.items():
        target = name if name in form.fields else None
        form.add_error(target, [str(t) for t in texts])
        placed = True
    if not placed:
        form.add_error(None, str(error.message))


def _can_share(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.MANAGER)


@web_view
@require_http_methods(["GET", "POST"])
def import_mapping_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    batch = _batch(user, pk)
    if batch.status not in OPEN:
        return redirect("web:import_detail", pk=batch.pk)
    profiles = list(selectors.mapping_profiles(viewer=user, kind=batch.kind))
    mapping = batch.field_of_column()
    chosen = request.GET.get("profile", "")
    loaded = next((p for p in profiles if str(p.pk) == chosen), None)
    if loaded is not None:
        mapping = h.mapping_from_profile(list(batch.headers), loaded.mapping)
    # A GET carrying the form's values is the live preview of the required fields (htmx).
    preview = request.method == "GET" and "mode" in request.GET
    form = MappingForm(
        request.GET if preview else posted(request),
        batch=batch,
        mapping=mapping,
        can_share=_can_share(user),
    )
    if loaded is not None:
        form.initial.update({"mode": loaded.mode, "match_key": loaded.match_key})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                import_configure(
                    actor=user,
                    batch_id=batch.pk,
                    mapping=form.chosen_mapping(),
                    mode=data["mode"],
                    match_key=data["match_key"],
                    profile_name=data.get("profile_name") or "",
                    share_profile=bool(data.get("share_profile")),
                )
                if _in_background(batch):
                    _remember(request, batch, "check", run_import_check.enqueue(user.pk, batch.pk))
                else:
                    import_check(actor=user, batch_id=batch.pk)
            except ValidationFailed as error:
                _add_errors(form, error)
            except ImportFileError as error:
                form.add_error(None, str(error.message))
            else:
                return redirect("web:import_detail", pk=batch.pk)
        mapping = form.chosen_mapping()
    elif preview:
        form.is_valid()
        mapping = form.chosen_mapping()
    else:
        mapping = {int(k.removeprefix("col_")): v for k, v in _initial_columns(form).items()}
    samples = sample_rows(batch)
    columns = [
        {
            "index": i,
            "header": header or _("(no header)"),
            "samples": [row.cells[i] for row in samples if i < len(row.cells) and row.cells[i]],
            "field": form[f"col_{i}"],
        }
        for i, header in enumerate(batch.headers)
    ]
    mode = form.data.get("mode") if form.is_bound else form.initial.get("mode", batch.mode)
    key = (
        form.data.get("match_key")
        if form.is_bound
        else form.initial.get("match_key", batch.match_key)
    )
    missing = h.missing_required(batch.kind, mapping, mode=str(mode), match_key=str(key))
    context = {
        "batch": batch,
        "form": form,
        "columns": columns,
        "missing": [_label(batch.kind, name) for name in missing],
        "required": [
            _label(batch.kind, n)
            for n in h.required_fields(batch.kind, mode=str(mode), match_key=str(key))
        ],
        "profiles": ProfileChoiceForm({"profile": chosen} if loaded else None, profiles=profiles),
        "loaded": loaded,
        "has_profiles": bool(profiles),
    }
    return render(request, "web/imports/mapping.html", context, status=status)


def _initial_columns(form: MappingForm) -> dict[str, str]:
    return {
        name: str(field.initial)
        for name, field in form.fields.items()
        if name.startswith("col_") and field.initial
    }


def _label(kind: str, name: str) -> str:
    spec = h.field_spec(kind, name)
    return str(spec.label) if spec else name


@web_view
@require_http_methods(["GET"])
def import_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    batch = _batch(user, pk)
    raw_after = request.GET.get("after", "")
    after = int(raw_after) if raw_after.isdigit() else None
    problems = selectors.import_problems(
        viewer=user, batch_id=batch.pk, after=after, limit=PROBLEMS_PAGE + 1
    )
    more = len(problems) > PROBLEMS_PAGE
    problems = problems[:PROBLEMS_PAGE]
    context = {
        "batch": batch,
        "problems": problems,
        "next_after": problems[-1].pk if more else "",
        "paged": after is not None,
        "commit_form": CommitForm(initial={"skip_invalid": batch.skip_invalid}),
        "undo_form": UndoForm(),
        "can_commit": batch.status == ImportStatus.CHECKED,
        "can_reconfigure": batch.status in OPEN,
        "can_undo": batch.status == ImportStatus.COMMITTED and can_undo_import(user),
        "kind_label": ImportKind(batch.kind).label,
        "running": _running(request, batch),
    }
    return render(request, "web/imports/detail.html", context)


# --- background runs (large files) -------------------------------------------------------
# Off unless TIERCARD_IMPORT_BACKGROUND_BYTES is set, because they need `tiercard db_worker`.
# The page remembers the task in the session and polls itself (htmx) until it has finished.

TASKS_KEY = "import_tasks"


def _in_background(batch: ImportBatch) -> bool:
    limit = int(getattr(settings, "TIERCARD_IMPORT_BACKGROUND_BYTES", 0) or 0)
    return bool(limit) and batch.size > limit


def _remember(request: HttpRequest, batch: ImportBatch, step: str, task: Any) -> None:
    tasks = dict(request.session.get(TASKS_KEY, {}))
    tasks[str(batch.pk)] = {"id": str(task.id), "step": step}
    request.session[TASKS_KEY] = tasks


def _running(request: HttpRequest, batch: ImportBatch) -> str:
    """The step ("check" / "commit") still running for this batch, or ""."""
    tasks = dict(request.session.get(TASKS_KEY, {}))
    entry = tasks.get(str(batch.pk))
    if not entry:
        return ""
    runner = run_import_commit if entry.get("step") == "commit" else run_import_check
    try:
        result = runner.get_result(entry["id"])
    except Exception:  # the task row is gone (pruned): nothing to wait for
        result = None
    if result is not None and not result.is_finished:
        return str(entry.get("step") or "check")
    tasks.pop(str(batch.pk), None)
    request.session[TASKS_KEY] = tasks
    if result is not None and result.status == TaskResultStatus.FAILED:
        messages.error(request, _("The run in the background failed. Try again."))
    return ""


def _commit_refusal(batch: ImportBatch, skip_invalid: bool) -> str:
    """Why the commit service would refuse at once (checked before queueing it)."""
    if batch.status != ImportStatus.CHECKED:
        return str(_("Check the file (dry run) before importing it."))
    if batch.invalid_count and not skip_invalid:
        return str(
            _("%(n)s rows are invalid. Fix the file, or choose to skip invalid rows.")
            % {"n": batch.invalid_count}
        )
    return ""


@web_view
@require_POST
def import_commit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    batch = _batch(user, pk)
    form = CommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm the import."))
        return _to_detail(batch)
    skip_invalid = form.cleaned_data["skip_invalid"]
    if _in_background(batch):
        refusal = _commit_refusal(batch, skip_invalid)
        if refusal:
            messages.error(request, refusal)
        else:
            task = run_import_commit.enqueue(user.pk, batch.pk, skip_invalid)
            _remember(request, batch, "commit", task)
        return _to_detail(batch)
    try:
        batch = import_commit(actor=user, batch_id=batch.pk, skip_invalid=skip_invalid)
    except (Conflict, ValidationFailed) as error:
        messages.error(request, str(error.message))
        return _to_detail(batch)
    if batch.status == ImportStatus.COMMITTED:
        messages.success(
            request,
            _(
                "Imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged; "
                "%(invalid)s invalid rows skipped."
            )
            % batch.counts(),
        )
    else:
        messages.error(request, _("Nothing was imported: some rows were invalid. See below."))
    return _to_detail(batch)


@web_view
@require_POST
def import_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    batch = _batch(user, pk)
    form = UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm the undo."))
        return _to_detail(batch)
    try:
        import_undo(actor=user, batch_id=batch.pk)
    except Conflict as error:
        messages.error(request, str(error.message))
        return _to_detail(batch)
    messages.success(request, _("The import was undone."))
    return _to_detail(batch)


@web_view
@require_http_methods(["GET"])
def import_errors_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    batch = _batch(user, pk)
    report = error_report(viewer=user, batch_id=batch.pk)
    return stream_response(report.chunks, report.content_type, report.filename)


def _to_detail(batch: ImportBatch) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("web:import_detail", args=[batch.pk]))
