"""The programme as a form: a new draft without JSON, and the benefits of the active version.

Administrators only, like every programme page (managers and everyone else get 403; nothing
is written). Saving builds the same programme document the JSON editor and ``tiercard tiers
draft`` send and hands it to the same service, ``ladder_draft_create``: one validation for all
three ways in. On refusal the form comes back as typed with each message beside its field;
on success the draft's dry run follows, and applying stays a separate, confirmed step.

The add / remove / move buttons are ordinary submit buttons (``action``): the server changes
the form and renders it again, focusing the input that was added, so the editor works with the
keyboard and without JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiercard.cards import display
from tiercard.core.errors import Conflict, ValidationFailed
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.ladders import ladder_draft_create
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.benefits import Quota
from tiercard.tiers.criteria import parse_criteria
from tiercard.tiers.policy import Landing
from tiercard.tiers.programme import PROGRAMME_PRESETS, dump_programme, parse_programme
from tiercard.tiers.window import Period
from tiercard.web import loyalty_programme as pp
from tiercard.web import loyalty_text as text
from tiercard.web import programme_form as ef
from tiercard.web.errors import web_view
from tiercard.web.loyalty_presenters import tier_name
from tiercard.web.views.programme_pages import admin_only, draft_saved


def _source(request: HttpRequest, raw: str) -> tuple[str, dict[str, Any], str]:
    """(source key, its document, its label) for ``?preset=``/``?from=`` or the hidden field.

    The key is ``preset:NAME`` or ``vN``; versions are immutable, so the points rules and the
    colours carried over on save are exactly those the form was opened with.
    """
    if raw.startswith("preset:") and raw[7:] in PROGRAMME_PRESETS:
        name = raw[7:]
        label = _("preset %(label)s") % {"label": pp.PRESET_LABELS.get(name, name)}
        return raw, dump_programme(PROGRAMME_PRESETS[name]()), label
    if raw.startswith("v") and raw[1:].isdigit():
        rules = TierLadder.objects.filter(version=int(raw[1:])).values_list("rules", flat=True)
        found = rules.first()
        active = active_programme()
        if found is not None and active.version != int(raw[1:]):
            return raw, dict(found), _("version v%(version)s") % {"version": raw[1:]}
    active = active_programme()
    version = active.version
    label = _("the active version (v%(version)s)") % {"version": version}
    return f"v{version}", dump_programme(active.programme), label


def _requested_source(request: HttpRequest) -> str:
    preset = request.GET.get("preset", "")
    if preset:
        return f"preset:{preset}"
    version = request.GET.get("from", "")
    return f"v{version}" if version.isdigit() else ""


def _describer(document: Mapping[str, Any]) -> Any:
    programme = parse_programme(document)

    def describe(index: int) -> str:
        return text.criteria_text(programme.ladder.tiers[index].criteria, programme.window)

    return describe


def _describe_kept(editor: ef.Editor, document: Mapping[str, Any]) -> None:
    """Words again for criteria kept as JSON after a round trip (the JSON if unreadable)."""
    window = parse_programme(document).window
    for tier in editor.tiers:
        if tier.complex_criteria:
            try:
                criteria = parse_criteria(json.loads(tier.criteria_json.value))
            except (ValueError, ValidationFailed):
                continue
            tier.criteria_text = text.criteria_text(criteria, window)


def _choices() -> dict[str, Any]:
    return {
        "metrics": list(ef.METRIC_LABELS.items()),
        "ops": list(ef.OP_LABELS.items()),
        "periods": list(ef.PERIOD_LABELS.items()),
        "window_periods": list(ef.WINDOW_PERIOD_LABELS.items()),
        "landings": [
            (Landing.ONE_STEP.value, _("one tier down at a time")),
            (Landing.QUALIFIED.value, _("straight to the tier the figures qualify for")),
        ],
        "labels": ef.FIELD_LABELS,
    }


def _colours(document: Mapping[str, Any]) -> dict[str, str]:
    tiers = document.get("ladder", {}).get("tiers", [])
    return {str(t.get("code")): str(t.get("colour")) for t in tiers if isinstance(t, Mapping)}


@web_view
@require_http_methods(["GET", "POST"])
def editor_view(request: HttpRequest) -> HttpResponse:
    """A new draft as a form, from the active version, a version (``?from=``) or a preset."""
    user = admin_only(request)
    status = 200
    focus = ""
    if request.method == "GET":
        source, document, label = _source(request, _requested_source(request))
        editor = ef.from_document(document, _describer(document))
    else:
        source, document, label = _source(request, request.POST.get("source", ""))
        editor = ef.from_post(request.POST)
        _describe_kept(editor, document)
        action = request.POST.get("action", "save")
        if action != "save":
            focus = ef.apply_action(editor, action)
        else:
            rules = ef.to_document(
                editor, points=document.get("points", {}), colours=_colours(document)
            )
            try:
                draft = ladder_draft_create(actor=user, rules=rules, note=editor.note.value)
            except ValidationFailed as error:
                ef.attach_errors(editor, error)
                status = 422
            except Conflict as error:  # another draft took the number: save again
                editor.errors.append(str(error.message))
                status = 409
            else:
                return draft_saved(request, draft)
    context = {
        "editor": editor,
        "focus": focus,
        "problem_count": len(editor.problems) + len(editor.errors),
        "source": source,
        "source_label": label,
        "presets": pp.preset_links(),
        "active_version": active_programme().version,
        "section": "versions",
        **_choices(),
    }
    return render(request, "web/loyalty/editor.html", context, status=status)


# --- Benefits ----------------------------------------------------------------------------------


def _yes(flag: bool) -> str:
    return _("Yes") if flag else ""


@web_view
@require_GET
def benefits_view(request: HttpRequest) -> HttpResponse:
    """The active version's benefits side by side, one column per tier (lowest first)."""
    admin_only(request)
    active = active_programme()
    programme = active.programme
    tiers = list(programme.ladder.tiers)
    all_benefits = [programme.benefits_of(t.code) for t in tiers]

    def row(label: str, cells: list[str]) -> dict[str, Any]:
        return {"label": label, "cells": cells}

    def hours(n: int | None) -> str:
        return _("within %(n)d h") % {"n": n} if n else ""

    def days(n: int | None) -> str:
        return _("every %(n)d days") % {"n": n} if n else ""

    rows = [
        row(_("How to qualify"), [text.criteria_text(t.criteria, programme.window) for t in tiers]),
        row(
            str(ef.FIELD_LABELS["discount_percent"]),
            [f"{_number(b.discount_percent)}%" if b.discount_percent else "" for b in all_benefits],
        ),
        row(
            str(ef.FIELD_LABELS["points_multiplier"]),
            [f"×{_number(b.points_multiplier)}" for b in all_benefits],
        ),
        row(str(ef.FIELD_LABELS["birthday_gift"]), [b.birthday_gift for b in all_benefits]),
        row(
            str(ef.FIELD_LABELS["dedicated_manager"]),
            [_yes(b.dedicated_manager) for b in all_benefits],
        ),
        row(_("Service response"), [hours(b.response_hours) for b in all_benefits]),
        row(_("Follow-up"), [days(b.follow_up_days) for b in all_benefits]),
        row(
            str(ef.FIELD_LABELS["priority_booking"]),
            [_yes(b.priority_booking) for b in all_benefits],
        ),
    ]
    seen: dict[str, str] = {}
    for b in all_benefits:
        for q in b.quotas:
            seen.setdefault(q.code, _quota_name(q))
    for code, label in seen.items():
        cells = []
        for b in all_benefits:
            own = b.quota(code)
            cells.append(_quota_cell(own) if own else "")
        rows.append(row(label, cells))
    columns = [{"name": tier_name(t), "colour": t.colour, "code": t.code} for t in tiers]
    context = {
        "columns": columns,
        "rows": rows,
        "version": active.version,
        "section": "benefits",
    }
    return render(request, "web/loyalty/benefits.html", context)


def _quota_cell(quota: Quota) -> str:
    """``2 per month``; one message per period so each language orders the words its way."""
    message = {
        Period.MONTH: _("%(n)d per month"),
        Period.QUARTER: _("%(n)d per quarter"),
        Period.YEAR: _("%(n)d per year"),
    }[quota.period]
    return message % {"n": quota.limit}


def _quota_name(quota: Quota) -> str:
    """A quota's name in the interface language."""
    return quota.name_zh if display.chinese_ui() else quota.name_en


def _number(value: Decimal) -> str:
    """``5`` for 5.0, ``1.5`` for 1.5: no trailing zeros, no exponent."""
    return format(value.normalize(), "f")
