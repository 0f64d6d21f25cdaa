"""Programme administration: versions, a version's rules, a new draft, its dry run and apply.

Administrators only (others get 403, as everywhere else in the app). A draft is written by the
service, which validates the JSON document and reports every problem by its field path; the
dry run shows the migration matrix and a few customers per changed cell before anything is
applied.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercard.core.errors import Conflict, NotFound, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create, ladder_dry_run
from tiercard.loyalty.services.state import active_programme, parsed
from tiercard.tiers.programme import PROGRAMME_PRESETS, dump_programme
from tiercard.web import loyalty_forms
from tiercard.web import loyalty_programme as pp
from tiercard.web.errors import web_view
from tiercard.web.views.programme_pages import admin_only, draft_not_saved, draft_saved

SAMPLES = 5


def _version(number: int) -> TierLadder:
    row = TierLadder.objects.select_related("created_by", "activated_by").filter(version=number)
    found = row.first()
    if found is None:
        raise NotFound()
    return found


@web_view
@require_GET
def versions_view(request: HttpRequest) -> HttpResponse:
    admin_only(request)
    rows = TierLadder.objects.select_related("created_by", "activated_by").order_by("-version")
    context = {"versions": [pp.version_row(v) for v in rows], "section": "versions"}
    return render(request, "web/loyalty/versions.html", context)


@web_view
@require_GET
def version_view(request: HttpRequest, version: int) -> HttpResponse:
    admin_only(request)
    row = _version(version)
    context = {"v": pp.version_row(row), "programme": pp.programme_view(parsed(row.rules))}
    return render(request, "web/loyalty/version.html", {**context, "section": "versions"})


def _starting_document(request: HttpRequest) -> tuple[dict[str, Any], str]:
    """The document a new draft starts from: a preset, a version, or the active version."""
    preset = request.GET.get("preset", "")
    if preset in PROGRAMME_PRESETS:
        return dump_programme(PROGRAMME_PRESETS[preset]()), preset
    source = request.GET.get("from", "")
    if source.isdigit():
        rules = TierLadder.objects.filter(version=int(source)).values_list("rules", flat=True)
        found = rules.first()
        if found is not None:
            return dict(found), f"v{source}"
    active = active_programme()
    return dump_programme(active.programme), f"v{active.version}"


@web_view
@require_http_methods(["GET", "POST"])
def draft_view(request: HttpRequest) -> HttpResponse:
    """A new draft, edited as JSON; the service's errors are listed by field path."""
    user = admin_only(request)
    problems: list[pp.Problem] = []
    if request.method == "GET":
        document, source = _starting_document(request)
        form = loyalty_forms.DraftForm(initial={"rules": loyalty_forms.pretty(document)})
    else:
        source = request.POST.get("source", "")
        form = loyalty_forms.DraftForm(request.POST)
        if form.is_valid():
            try:
                draft = ladder_draft_create(
                    actor=user, rules=form.cleaned_data["rules"], note=form.cleaned_data["note"]
                )
            except ValidationFailed as error:
                problems = pp.problems(error)
                form.add_error(None, draft_not_saved())
            else:
                return draft_saved(request, draft)
    context = {
        "form": form,
        "problems": problems,
        "source": source,
        "presets": pp.preset_links(),
        "active_version": active_programme().version,
        "section": "versions",
    }
    return render(request, "web/loyalty/draft.html", context, status=422 if problems else 200)


@web_view
@require_http_methods(["GET", "POST"])
def dry_run_view(request: HttpRequest, version: int) -> HttpResponse:
    """The estimate on GET; a POST (the page's button) counts exactly over a changed window,
    which holds purchases while it runs, so a page visit never does."""
    user = admin_only(request)
    row = _version(version)
    result = ladder_dry_run(
        actor=user,
        version=version,
        today=business_today(),
        samples=SAMPLES,
        exact=request.method == "POST",
    )
    ids = {pk for cells in result.samples.values() for pks in cells.values() for pk in pks}
    people = visible_customers(user).filter(pk__in=ids)
    context = {
        "v": pp.version_row(row),
        "matrix": pp.matrix_view(
            result,
            old=active_programme().programme.ladder,
            new=parsed(row.rules).ladder,
            customers={c.pk: c for c in people},
            viewer=user,
        ),
        "window_changed": result.window_changed,
        "exact": result.exact,
        "section": "versions",
    }
    return render(request, "web/loyalty/dry_run.html", context)


@web_view
@require_POST
def apply_view(request: HttpRequest, version: int) -> HttpResponse:
    """Apply after the dry run; the confirmation box must be ticked."""
    user = admin_only(request)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you checked the dry run."))
        return redirect("web:loyalty_dry_run", version=version)
    try:
        report = ladder_apply(actor=user, version=version, today=business_today())
    except Conflict as error:
        messages.error(request, str(error.message))
        return redirect("web:loyalty_version", version=version)
    messages.success(
        request,
        _("Version %(version)d is now active; %(changed)d customers changed tier.")
        % {"version": report.version, "changed": report.changed},
    )
    return redirect("web:loyalty_version", version=version)
