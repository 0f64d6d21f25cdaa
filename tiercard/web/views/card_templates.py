"""Administration of the card templates: per tier, which sections and fields the card shows,
which it requires, and in which order. Administrators only; every save is audited by
``cards.templates.card_template_save``, which also validates (unknown field, required but
hidden...), its errors shown beside the row they are about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiercard.accounts.models import User
from tiercard.cards.layout import SECTION_BY_KEY, Layout
from tiercard.cards.templates import can_edit_templates, card_template_save, card_templates
from tiercard.cards.templates import layout_for as stored_layout
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.loyalty.services.state import active_programme
from tiercard.web import card_presenters as cp
from tiercard.web import loyalty_presenters as lp
from tiercard.web.errors import web_view
from tiercard.web.requests import viewer

FALLBACK = "_default"  # the URL's name for the fallback template (tier code "")


def _admin(request: HttpRequest) -> User:
    user = viewer(request)
    if not can_edit_templates(user):
        raise PermissionDenied()
    return user


@dataclass(frozen=True)
class TierRow:
    slug: str
    name: str
    colour: str
    shown: int
    required: int
    updated_at: Any
    updated_by: str


def _tiers() -> list[tuple[str, str, str]]:
    """(code, name, colour) of the active ladder's tiers, then the fallback."""
    ladder = active_programme().programme.ladder
    rows = [(t.code, lp.tier_name(t), t.colour) for t in ladder.tiers]
    return [*rows, ("", _("Any other tier (fallback)"), "#9e9e9e")]


def _counts(layout: Layout) -> tuple[int, int]:
    shown = required = 0
    for spec, _rule in layout.ordered_sections():
        for _field, field_rule in layout.shown_fields(spec.key):
            shown += 1
            required += field_rule.required
    return shown, required


@web_view
@require_GET
def templates_view(request: HttpRequest) -> HttpResponse:
    _admin(request)
    stored = card_templates()
    rows = []
    for code, name, colour in _tiers():
        row = stored.get(code)
        shown, required = _counts(stored_layout(code))
        rows.append(
            TierRow(
                slug=code or FALLBACK,
                name=name,
                colour=colour,
                shown=shown,
                required=required,
                updated_at=row.updated_at if row else None,
                updated_by=str(row.updated_by or "") if row else "",
            )
        )
    return render(request, "web/card_templates/list.html", {"rows": rows})


@dataclass(frozen=True)
class FieldInput:
    name: str
    label: str | Promise
    shown: bool
    required: bool
    priority: str
    errors: list[str]


@dataclass(frozen=True)
class SectionInput:
    key: str
    title: str | Promise
    panel: bool
    shown: bool
    priority: str
    errors: list[str]
    fields: list[FieldInput]


def _inputs(
    layout: Layout, data: QueryDict | None, errors: dict[str, list[str]]
) -> list[SectionInput]:
    """The form's rows: from the posted data when there is some (so typed values stay)."""
    result = []
    for spec, rule in layout.ordered_sections():
        fields = []
        for f in spec.fields:
            field_rule = rule.field(f.name)
            prefix = f"f-{spec.key}-{f.name}"
            fields.append(
                FieldInput(
                    name=f.name,
                    label=cp.field_label(f.name, f.label),
                    shown=(f"{prefix}-shown" in data) if data is not None else field_rule.shown,
                    required=(f"{prefix}-required" in data)
                    if data is not None
                    else field_rule.required,
                    priority=data.get(f"{prefix}-priority", "")
                    if data is not None
                    else str(field_rule.priority),
                    errors=errors.get(f"{spec.key}.{f.name}", []),
                )
            )
        result.append(
            SectionInput(
                key=spec.key,
                title=spec.title,
                panel=spec.panel,
                shown=(f"s-{spec.key}-shown" in data) if data is not None else rule.shown,
                priority=data.get(f"s-{spec.key}-priority", "")
                if data is not None
                else str(rule.priority),
                errors=errors.get(spec.key, []),
                fields=fields,
            )
        )
    return result


def _posted_layout(data: QueryDict) -> dict[str, Any]:
    """The layout's JSON shape from the form; every catalogue row is posted, so none is lost."""
    sections = []
    for key, spec in SECTION_BY_KEY.items():
        sections.append(
            {
                "key": key,
                "shown": f"s-{key}-shown" in data,
                "priority": data.get(f"s-{key}-priority", ""),
                "fields": [
                    {
                        "name": f.name,
                        "shown": f"f-{key}-{f.name}-shown" in data,
                        "required": f"f-{key}-{f.name}-required" in data,
                        "priority": data.get(f"f-{key}-{f.name}-priority", ""),
                    }
                    for f in spec.fields
                ],
            }
        )
    return {"sections": sections}


@web_view
@require_http_methods(["GET", "POST"])
def template_edit_view(request: HttpRequest, tier_code: str) -> HttpResponse:
    user = _admin(request)
    code = "" if tier_code == FALLBACK else tier_code
    tiers = {c: (name, colour) for c, name, colour in _tiers()}
    if code not in tiers:
        raise NotFound()
    name, colour = tiers[code]
    row = card_templates().get(code)
    layout = stored_layout(code)
    errors: dict[str, list[str]] = {}
    data: QueryDict | None = None
    form_error = ""
    if request.method == "POST":
        data = request.POST
        version = data.get("version", "")
        try:
            card_template_save(
                actor=user,
                tier_code=code,
                layout=_posted_layout(data),
                expected_version=int(version) if version.isdigit() else None,
            )
        except ValidationFailed as error:
            errors = {k: [str(m) for m in v] for k, v in error.fields.items()}
            form_error = _("Please correct the rows marked below.")
        except Conflict:
            form_error = _(
                "Someone else saved this template meanwhile. Reload the page to see their version."
            )
        else:
            messages.success(request, _("Card template for %(tier)s saved.") % {"tier": name})
            return redirect("web:card_templates")
    context = {
        "tier_name": name,
        "tier_colour": colour,
        "slug": tier_code,
        "version": row.version if row else "",
        "sections": _inputs(layout, data, errors),
        "form_error": form_error,
    }
    return render(request, "web/card_templates/edit.html", context)
