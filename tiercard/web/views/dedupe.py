"""Duplicates (重复客户): the review queue, one pair side by side with the merge form, the
confirmation steps (merge, not a duplicate, undo) and the merge history.

Managers and admins only (``dedupe.permissions``); a pair outside the viewer's scope is 404.
Every change goes through a confirmation page (GET shows it, POST does it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercard.accounts.models import User
from tiercard.cards.loyalty_presenters import tier_name
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.masking import display_contact_point, display_phone
from tiercard.customers.models import ContactPointKind, Customer
from tiercard.dedupe import fields as merge_fields
from tiercard.dedupe.candidates import candidates_for
from tiercard.dedupe.matchkeys import keys_refresh
from tiercard.dedupe.models import DuplicatePair, PairStatus, ScanState
from tiercard.dedupe.permissions import can_review_duplicates, can_run_scan
from tiercard.dedupe.scan import dedupe_scan
from tiercard.dedupe.scoring import LABELS, Level, reasons_of
from tiercard.dedupe.selectors import (
    CardSide,
    as_counts,
    merge_get,
    merge_history,
    pair_compare,
    pair_counts,
    pair_get,
    pair_queue,
)
from tiercard.dedupe.services import pair_dismiss, pair_merge, pair_reopen
from tiercard.dedupe.unmerge import customers_unmerge
from tiercard.loyalty.services.state import active_programme
from tiercard.web.errors import web_view
from tiercard.web.requests import viewer

STATUS_TABS: tuple[tuple[str, str | Promise], ...] = (
    (PairStatus.OPEN, gettext_lazy("To review")),
    (PairStatus.DISMISSED, gettext_lazy("Not duplicates")),
    (PairStatus.MERGED, gettext_lazy("Merged")),
)


def _reviewer(request: HttpRequest) -> User:
    user = viewer(request)
    if not can_review_duplicates(user):
        raise PermissionDenied()
    return user


def reason_labels(mask: int) -> list[str]:
    return [str(LABELS[r]) for r in reasons_of(mask)]


@dataclass(frozen=True)
class PairRow:
    pair: DuplicatePair
    reasons: list[str]
    phone_a: str
    phone_b: str


@web_view
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    status = request.GET.get("status", PairStatus.OPEN)
    if status not in PairStatus.values:
        status = PairStatus.OPEN
    level = request.GET.get("level", "")
    if level not in Level.values:
        level = ""
    page = pair_queue(viewer=user, status=status, level=level, cursor=request.GET.get("cursor", ""))
    rows = [
        PairRow(
            pair=p,
            reasons=reason_labels(p.reasons),
            phone_a=display_phone(user, p.customer_a.primary_phone),
            phone_b=display_phone(user, p.customer_b.primary_phone),
        )
        for p in page.pairs
    ]
    counts = pair_counts(user)
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor,
        "status": status,
        "level": level,
        "status_tabs": STATUS_TABS,
        "levels": [(lv.value, lv.label, counts.get(lv.value, 0)) for lv in Level],
        "open_total": sum(counts.values()),
        "can_scan": can_run_scan(user),
        "scan": ScanState.objects.filter(pk=1).first(),
    }
    return render(request, "web/dedupe/queue.html", context)


@web_view
@require_POST
def scan_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not can_run_scan(user):
        raise PermissionDenied()
    report = dedupe_scan(actor=user)
    messages.success(
        request,
        _("Scan finished: %(found)d pairs found, %(new)d new.")
        % {"found": report.pairs_found, "new": report.pairs_new},
    )
    return redirect("web:dedupe_queue")


@dataclass(frozen=True)
class Row:
    label: str | Promise
    left: Any
    right: Any

    @property
    def differs(self) -> bool:
        return self.left != self.right


def _contacts(user: User, side: CardSide, kinds: set[ContactPointKind]) -> str:
    return ", ".join(display_contact_point(user, p) for p in side.points if p.kind in kinds)


def _tier_label(code: str) -> str:
    for tier in active_programme().programme.ladder.tiers:
        if tier.code == code:
            return tier_name(tier)
    return code


def _owner(customer: Customer) -> str:
    return str(customer.owner) if customer.owner else "—"


def compare_rows(user: User, left: CardSide, right: CardSide) -> list[Row]:
    a, b = left.customer, right.customer
    phones = {ContactPointKind.MOBILE, ContactPointKind.PHONE}

    def both(label: str | Promise, get: Any) -> Row:
        return Row(label, get(left, a), get(right, b))

    return [
        both(gettext_lazy("name"), lambda s, c: c.name),
        both(gettext_lazy("type"), lambda s, c: c.get_kind_display()),
        both(gettext_lazy("phone"), lambda s, c: _contacts(user, s, phones)),
        both(gettext_lazy("email"), lambda s, c: _contacts(user, s, {ContactPointKind.EMAIL})),
        both(gettext_lazy("WeChat"), lambda s, c: _contacts(user, s, {ContactPointKind.WECHAT})),
        both(gettext_lazy("company"), lambda s, c: c.company_name),
        both(gettext_lazy("unified social credit code"), lambda s, c: c.credit_code),
        both(gettext_lazy("city"), lambda s, c: " ".join(filter(None, [c.province, c.city]))),
        both(gettext_lazy("address"), lambda s, c: c.address),
        both(gettext_lazy("account manager"), lambda s, c: _owner(c)),
        both(gettext_lazy("registration date"), lambda s, c: c.registered_on),
        both(gettext_lazy("status"), lambda s, c: c.get_status_display()),
        both(gettext_lazy("tier"), lambda s, c: _tier_label(s.tier)),
        both(gettext_lazy("points"), lambda s, c: s.balance),
        both(gettext_lazy("orders"), lambda s, c: c.order_count),
        both(gettext_lazy("total spend"), lambda s, c: c.total_spend),
        both(gettext_lazy("last purchase"), lambda s, c: c.last_purchase_at),
        both(gettext_lazy("interactions"), lambda s, c: s.counts["interactions"]),
        both(gettext_lazy("notes"), lambda s, c: s.counts["notes"]),
        both(gettext_lazy("contact persons"), lambda s, c: s.counts["contacts"]),
    ]


@dataclass(frozen=True)
class ChoiceRow:
    choice: merge_fields.FieldChoice
    picked: str
    survivor_shown: str
    merged_shown: str


def _shown(user: User, name: str, value: Any) -> str:
    if value in ("", None):
        return "—"
    if name == "owner_id":
        owner = User.objects.filter(pk=value).first()
        return str(owner) if owner else str(value)
    return str(value)


def _survivor(request: HttpRequest, pair: DuplicatePair) -> int:
    raw = request.POST.get("keep") or request.GET.get("keep") or ""
    keep = int(raw) if raw.isdigit() else pair.customer_a_id
    return keep if keep in {pair.customer_a_id, pair.customer_b_id} else pair.customer_a_id


def _picks(request: HttpRequest) -> dict[str, str]:
    return {
        name: request.POST[f"pick_{name}"]
        for name in merge_fields.FIELD_NAMES
        if f"pick_{name}" in request.POST
    }


@web_view
@require_http_methods(["GET", "POST"])
def pair_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the comparison and merge form. POST (the form): the confirmation page; POST with
    ``confirm``: the merge."""
    user = _reviewer(request)
    pair = pair_get(viewer=user, pair_id=pk)
    keep = _survivor(request, pair)
    compared = pair_compare(viewer=user, pair_id=pk, survivor_id=keep)
    picks = _picks(request) if request.method == "POST" else {}
    status = 200
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "1":
        try:
            record = pair_merge(actor=user, pair_id=pair.pk, survivor_id=keep, picks=picks)
        except (ValidationFailed, Conflict) as failed:
            error, status = str(failed.message), failed.http_status
        else:
            messages.success(
                request,
                _("Merged. %(name)s now holds the history of both cards.")
                % {"name": compared.left.customer.name},
            )
            return redirect("web:dedupe_merge_done", merge_id=record.pk)
    choices = [
        ChoiceRow(
            choice=c,
            picked=picks.get(c.name, c.default),
            survivor_shown=_shown(user, c.name, c.survivor),
            merged_shown=_shown(user, c.name, c.merged),
        )
        for c in compared.choices
    ]
    context = {
        "pair": compared.pair,
        "reasons": reason_labels(compared.pair.reasons),
        "left": compared.left,
        "right": compared.right,
        "rows": compare_rows(user, compared.left, compared.right),
        "choices": choices,
        "keep": keep,
        "other": compared.right.customer.pk,
        "confirming": request.method == "POST" and not error,
        "error": error,
        "taken": [c for c in choices if c.picked == merge_fields.MERGED],
    }
    return render(request, "web/dedupe/pair.html", context, status=status)


@web_view
@require_http_methods(["GET", "POST"])
def dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    pair = pair_get(viewer=user, pair_id=pk)
    reopen = pair.status == PairStatus.DISMISSED
    if request.method == "POST":
        if reopen:
            pair_reopen(actor=user, pair_id=pair.pk)
            messages.success(request, _("The pair is back in the queue."))
        else:
            pair_dismiss(actor=user, pair_id=pair.pk)
            messages.success(
                request, _("Marked as not a duplicate. Later scans will not propose it again.")
            )
        return redirect("web:dedupe_queue")
    return render(
        request, "web/dedupe/confirm.html", {"pair": pair, "reopen": reopen, "kind": "dismiss"}
    )


@web_view
@require_GET
def merges_view(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    records = list(merge_history(viewer=user)[:100])
    rows = [(r, as_counts(r)) for r in records]
    return render(request, "web/dedupe/merges.html", {"rows": rows})


@web_view
@require_GET
def merge_done_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    user = _reviewer(request)
    record = merge_get(viewer=user, merge_id=merge_id)
    return render(
        request, "web/dedupe/merge_done.html", {"record": record, "counts": as_counts(record)}
    )


@web_view
@require_http_methods(["GET", "POST"])
def unmerge_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    user = _reviewer(request)
    record = merge_get(viewer=user, merge_id=merge_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            customers_unmerge(actor=user, merge_id=record.pk)
        except Conflict as refused:
            error, status = str(refused.message), refused.http_status
        else:
            messages.success(request, _("The merge was undone: the two cards are separate again."))
            return redirect(reverse("web:customer_detail", args=[record.merged_id]))
    context = {"record": record, "counts": as_counts(record), "error": error, "kind": "unmerge"}
    return render(request, "web/dedupe/confirm.html", context, status=status)


# --- the create form's warning ------------------------------------------------------------------


@dataclass(frozen=True)
class Warning:
    customer: Customer
    phone: str
    score: int
    level: str
    reasons: list[str]


def possible_duplicates(user: User, values: dict[str, Any]) -> list[Warning]:
    """Cards the user sees that may be the customer about to be created (masked as on the
    card). Used by the create form before it creates anything."""
    return [
        Warning(
            customer=c.customer,
            phone=display_phone(user, c.customer.primary_phone),
            score=c.score,
            level=str(c.level.label),
            reasons=c.reason_labels,
        )
        for c in candidates_for(viewer=user, values=values, limit=5)
    ]


def created(customer_id: int) -> None:
    """Keep the new card's match keys current at once (the scan would catch up later)."""
    keys_refresh(customer_ids=[customer_id])
