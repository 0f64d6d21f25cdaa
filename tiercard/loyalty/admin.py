"""The loyalty records in the back office: browsed here, changed only through the services.

Ledgers, tier history and memberships are read-only (``ReadOnlyAdmin``): a write here would skip
the membership lock, the running balance and the audit trail. The one action offered, "copy
into a new draft", calls the same service as the programme pages.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.accounts.policy import can_use_admin_site
from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.core.errors import DomainError
from tiercard.loyalty.models import (
    BenefitUse,
    GrowthEntry,
    Membership,
    PointsEntry,
    PointsLot,
    Redemption,
    ReviewMark,
    Reward,
    TierChange,
    TierLadder,
)
from tiercard.loyalty.services.ladders import ladder_draft_create
from tiercard.outbox.models import OutboxMessage


class LedgerAdmin(ReadOnlyAdmin):
    """A table that only grows (a row per customer, purchase or event): filtered pages show
    no exact total, which would count the whole table on every click."""

    show_full_result_count = False


@admin.register(TierLadder)
class TierLadderAdmin(ReadOnlyAdmin):
    list_display = ("version", "is_active", "tier_names", "note", "created_at", "activated_at")
    list_filter = ("is_active",)
    search_fields = ("note",)
    ordering = ("-version",)
    fields = (
        "version",
        "is_active",
        "note",
        "created_at",
        "created_by",
        "activated_at",
        "activated_by",
        "rules_json",
    )
    readonly_fields = fields
    actions = ("copy_into_draft",)

    @admin.display(description=_("tiers"))
    def tier_names(self, obj: TierLadder) -> str:
        tiers = obj.rules.get("ladder", {}).get("tiers", []) if isinstance(obj.rules, dict) else []
        return " / ".join(str(t.get("name_zh", "")) for t in tiers if isinstance(t, dict))

    @admin.display(description=_("rules"))
    def rules_json(self, obj: TierLadder) -> str:
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            json.dumps(obj.rules, ensure_ascii=False, indent=2),
        )

    def has_draft_permission(self, request: HttpRequest) -> bool:
        return isinstance(request.user, User) and can_use_admin_site(request.user)

    @admin.action(description=_("Copy into a new draft"), permissions=["draft"])
    def copy_into_draft(self, request: HttpRequest, queryset: QuerySet[TierLadder]) -> None:
        assert isinstance(request.user, User)
        for row in queryset.order_by("version"):
            note = str(_("Copy of v%(version)d") % {"version": row.version})
            try:
                draft = ladder_draft_create(actor=request.user, rules=row.rules, note=note)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Draft v%(draft)d created from v%(version)d.")
                    % {"draft": draft.version, "version": row.version},
                    messages.SUCCESS,
                )


@admin.register(Membership)
class MembershipAdmin(LedgerAdmin):
    list_display = (
        "customer",
        "tier",
        "tier_since",
        "lock_until",
        "win_spend",
        "win_orders",
        "growth_total",
        "points_balance",
        "points_owed",
        "ladder_version",
    )
    list_filter = ("tier", "ladder_version")
    search_fields = ("customer__name", "customer__name_pinyin", "customer__external_id")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "override_by", "override_approved_by")


@admin.register(ReviewMark)
class ReviewMarkAdmin(ReadOnlyAdmin):
    """Whom the next daily review will look at (the nightly roll, returns, cleared overrides
    mark them; the review deletes the marks of the rows it reviewed)."""

    list_display = ("customer", "marked_at")
    search_fields = ("customer__name", "customer__name_pinyin", "customer__external_id")
    list_select_related = ("customer",)
    ordering = ("-marked_at",)


@admin.register(TierChange)
class TierChangeAdmin(LedgerAdmin):
    list_display = (
        "at",
        "customer",
        "from_tier",
        "to_tier",
        "reason",
        "ladder_version",
        "actor",
        "note",
    )
    list_filter = ("reason", "to_tier", "ladder_version")
    search_fields = ("customer__name", "note")
    list_select_related = ("customer", "actor")
    raw_id_fields = ("customer", "purchase", "actor")
    date_hierarchy = "at"


@admin.register(GrowthEntry)
class GrowthEntryAdmin(LedgerAdmin):
    list_display = ("occurred_on", "customer", "kind", "amount", "key", "ladder_version")
    list_filter = ("kind",)
    search_fields = ("key", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "purchase", "actor")


@admin.register(PointsEntry)
class PointsEntryAdmin(LedgerAdmin):
    list_display = (
        "occurred_at",
        "customer",
        "kind",
        "points",
        "balance_after",
        "key",
        "note",
        "actor",
    )
    list_filter = ("kind",)
    search_fields = ("key", "note", "customer__name")
    list_select_related = ("customer", "actor")
    raw_id_fields = ("customer", "purchase", "reverses", "actor")
    date_hierarchy = "occurred_at"


@admin.register(PointsLot)
class PointsLotAdmin(LedgerAdmin):
    list_display = ("id", "customer", "points", "remaining", "earned_on", "expires_on")
    list_filter = ("expires_on",)
    search_fields = ("customer__name",)
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "entry")


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    """Rewards are created and edited on the programme pages (validated and audited there)."""

    list_display = (
        "code",
        "name_zh",
        "name_en",
        "kind",
        "points_cost",
        "stock",
        "min_tier",
        "valid_from",
        "valid_until",
        "active",
    )
    list_filter = ("kind", "active", "min_tier")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Redemption)
class RedemptionAdmin(LedgerAdmin):
    list_display = (
        "created_at",
        "customer",
        "reward",
        "quantity",
        "points",
        "status",
        "coupon_code",
        "actor",
    )
    list_filter = ("status", "reward")
    search_fields = ("coupon_code", "customer__name", "reward__code")
    list_select_related = ("customer", "reward", "actor")
    raw_id_fields = ("customer", "reward", "entry", "actor")


@admin.register(BenefitUse)
class BenefitUseAdmin(LedgerAdmin):
    list_display = ("at", "customer", "code", "period_start", "tier", "ladder_version", "actor")
    list_filter = ("code", "tier")
    search_fields = ("key", "note", "customer__name")
    list_select_related = ("customer", "actor")
    raw_id_fields = ("customer", "actor")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(LedgerAdmin):
    list_display = ("id", "kind", "customer_id", "status", "attempts", "created_at", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("key", "last_error")
