"""The loyalty records in the back office: browsed here, changed only through the services.

Ledgers, tier history and memberships are read-only (``ReadOnlyAdmin``): a write here would skip
the membership lock, the running balance and the audit trail. Programme versions are the one
thing an administrator changes here, through the same services as the programme pages, the API
and the CLI: a new draft from rules written as JSON (validated, every problem shown by path),
"copy into a new draft", and "dry run, then apply" (the migration matrix first, the change
only on confirmation). A stored version is never edited: a change is a new version.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.accounts.policy import can_use_admin_site
from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.core.bilingual import localised
from tiercard.core.errors import DomainError, ValidationFailed
from tiercard.core.timeutils import business_today
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
from tiercard.loyalty.services.ladders import (
    DryRun,
    ladder_apply,
    ladder_draft_create,
    ladder_dry_run,
)
from tiercard.loyalty.services.state import active_programme, parsed
from tiercard.outbox.models import OutboxMessage
from tiercard.tiers.programme import parse_programme


class LedgerAdmin(ReadOnlyAdmin):
    """A table that only grows (a row per customer, purchase or event): filtered pages show
    no exact total, which would count the whole table on every click."""

    show_full_result_count = False


class DraftForm(forms.ModelForm):
    """A new version's rules as JSON, checked by the programme parser the services use."""

    rules_text = forms.CharField(
        label=_("rules (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
        help_text=_("The active version's rules are filled in; change them and save."),
    )

    class Meta:
        model = TierLadder
        fields = ("note",)

    def clean_rules_text(self) -> dict[str, Any]:
        try:
            rules = json.loads(self.cleaned_data["rules_text"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("This is not valid JSON: look near line %(line)d, column %(column)d."),
                params={"line": error.lineno, "column": error.colno},
            ) from error
        try:
            parse_programme(rules)
        except ValidationFailed as error:
            raise forms.ValidationError(
                [f"{path or '-'}: {text}" for path, texts in error.fields.items() for text in texts]
            ) from error
        return dict(rules)


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
    actions = ("copy_into_draft", "apply_version")

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

    # --- a new draft -------------------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_draft_permission(request)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = DraftForm
            kwargs["fields"] = ("note", "rules_text")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("note", "rules_text") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, str | list[str]]:
        rules = TierLadder.objects.get(version=active_programme().version).rules
        return {"rules_text": json.dumps(rules, ensure_ascii=False, indent=2)}

    def save_model(self, request: HttpRequest, obj: TierLadder, form: Any, change: bool) -> None:
        """Through ``ladder_draft_create``. What it refuses after the form's checks (another
        draft took the same number at that instant) is shown on the list, nothing written."""
        assert isinstance(request.user, User) and not change
        try:
            draft = ladder_draft_create(
                actor=request.user,
                rules=form.cleaned_data["rules_text"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return
        obj.pk, obj.version, obj.rules = draft.pk, draft.version, draft.rules

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        if obj.pk is None:  # refused in save_model; its message is already queued
            return HttpResponseRedirect(reverse("admin:loyalty_tierladder_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # ladder_draft_create wrote the audit event; the admin log would repeat it

    # --- actions -----------------------------------------------------------------------------
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

    @admin.action(description=_("Dry run, then apply"), permissions=["draft"])
    def apply_version(
        self, request: HttpRequest, queryset: QuerySet[TierLadder]
    ) -> HttpResponse | None:
        """First call: the dry run's migration matrix on a confirmation page; its form posts
        the action again with ``confirm``, and only then is the version applied."""
        assert isinstance(request.user, User)
        chosen = list(queryset.order_by("version")[:2])
        if len(chosen) != 1 or chosen[0].is_active:
            message = _("Select exactly one version that is not the active one.")
            self.message_user(request, message, messages.ERROR)
            return None
        draft, today = chosen[0], business_today()
        try:
            if request.POST.get("confirm") == "yes":
                report = ladder_apply(actor=request.user, version=draft.version, today=today)
            else:
                result = ladder_dry_run(actor=request.user, version=draft.version, today=today)
                return self._apply_page(request, draft, result)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return None
        self.message_user(
            request,
            _("v%(version)d is now active; %(changed)d customers changed tier.")
            % {"version": report.version, "changed": report.changed},
            messages.SUCCESS,
        )
        return None

    def _apply_page(self, request: HttpRequest, draft: TierLadder, result: DryRun) -> HttpResponse:
        old = active_programme().programme.ladder
        new = parsed(draft.rules).ladder
        held = [t.code for t in old.tiers]
        held += sorted(code for code in result.matrix if code not in held)
        names = {t.code: localised(t.name_zh, t.name_en) for t in old.tiers}
        rows = [
            (names.get(code, code), [result.matrix.get(code, {}).get(t.code, 0) for t in new.tiers])
            for code in held
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dry run of v%(version)d") % {"version": draft.version},
            "opts": self.model._meta,
            "draft": draft,
            "result": result,
            "columns": [localised(t.name_zh, t.name_en) for t in new.tiers],
            "rows": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/loyalty/tierladder/apply.html", context)


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
