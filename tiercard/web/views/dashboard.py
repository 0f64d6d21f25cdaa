"""The dashboard (仪表盘): charts of the viewer's customers, their tables, and CSV downloads.

The figures come from ``tiercard.analytics`` (precomputed per group of customers, summed over
the groups the viewer sees); this module only lays them out. Chart data reaches the page's
script as one JSON block (``json_script``), never interpolated into script code.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiercard.analytics.dashboard import current_state, dashboard_figures, refreshes_inline
from tiercard.analytics.models import RollupState
from tiercard.analytics.selectors.follow_ups import OVERDUE_DAYS, follow_ups
from tiercard.analytics.services import dashboard_export_record
from tiercard.analytics.tasks import can_refresh_dashboard, refresh_exclusive, refresh_request
from tiercard.cards.display import datetime as show_datetime
from tiercard.core.errors import NotFound, PermissionDenied
from tiercard.core.timeutils import business_today
from tiercard.loyalty.services.state import active_programme
from tiercard.servicedesk.selectors import queue_figures
from tiercard.web import dashboard_charts as present
from tiercard.web.errors import web_view
from tiercard.web.requests import viewer

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@web_view
@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    today = business_today()
    state = current_state(today)
    ladder = active_programme().programme.ladder
    due = follow_ups(user, today)
    context: dict[str, object] = {
        "follow_ups": due,
        "follow_up_rows": [
            (i, present.due_label(i.next_step_due or today, today)) for i in due.items
        ],
        "overdue_days": OVERDUE_DAYS,
        "service": queue_figures(viewer=user),  # live: one aggregate over the viewer's tickets
        "preparing": state is None,
        "can_refresh": can_refresh_dashboard(user),
        # Before the first figures ``state`` is None, but a refresh may have been asked for.
        "refresh_requested": _pending_request(state or RollupState.objects.filter(pk=1).first()),
    }
    if state is not None:
        figures = dashboard_figures(user, state, ladder)
        charts = present.charts(figures, ladder)
        context |= {
            "charts": charts,
            "chart_data": present.chart_data(charts),
            "headlines": present.headlines(figures, due.due_today),
            "as_of": present.as_of(figures),
            "empty": figures.is_empty,
        }
    return render(request, "web/dashboard/dashboard.html", context)


def _pending_request(state: RollupState | None) -> str:
    """When a "refresh now" still waits for the task worker (shown to say so), else ""."""
    if state is None or state.requested_at is None:
        return ""
    if state.started_at is not None and state.started_at >= state.requested_at:
        return ""
    return show_datetime(state.requested_at)


@web_view
@require_POST
def dashboard_refresh_view(request: HttpRequest) -> HttpResponse:
    """Administrators' "refresh now": a small book at once, a large one by the task worker."""
    if not can_refresh_dashboard(viewer(request)):
        raise PermissionDenied()
    if refreshes_inline():
        result = refresh_exclusive()
        if result["status"] == "refreshed":
            messages.success(request, _("The figures have been refreshed."))
        else:
            messages.info(request, _("A refresh is already running; it will go round once more."))
    else:
        refresh_request()
        messages.info(
            request,
            _(
                "A refresh has been queued. The task worker (tiercard db_worker) computes it; "
                "the figures' time above changes when it is done."
            ),
        )
    return redirect("web:dashboard")


def csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@web_view
@require_GET
def dashboard_csv_view(request: HttpRequest, figure: str) -> HttpResponse:
    """One chart's table as CSV: UTF-8 with BOM (Excel opens it as Unicode), audited."""
    user = viewer(request)
    today = business_today()
    state = current_state(today)
    if state is None:
        raise NotFound()
    ladder = active_programme().programme.ladder
    by_slug = {c.slug: c for c in present.charts(dashboard_figures(user, state, ladder), ladder)}
    chart = by_slug.get(figure)
    if chart is None:
        raise NotFound()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(c.label) for c in chart.columns])
    rows = [*chart.rows, chart.totals] if chart.totals else chart.rows
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    dashboard_export_record(actor=user, figure=chart.slug, rows=len(chart.rows))
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = f"tiercard-{chart.slug}-{today:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
