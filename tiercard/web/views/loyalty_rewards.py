"""The reward catalogue (积分商城) and the points overview.

Everyone signed in sees the catalogue; administrators create and edit rewards (the service
checks the right again). The points overview shows the outstanding liability and what expires
in the next 30/60/90 days over the customers the viewer can see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import Reward
from tiercard.loyalty.selectors.points import (
    points_forecast,
    points_liability,
    reward_catalogue,
)
from tiercard.loyalty.selectors.tiers import tier_distribution
from tiercard.loyalty.services.rewards import reward_create, reward_update
from tiercard.loyalty.services.state import active_programme
from tiercard.web import loyalty_forms
from tiercard.web import loyalty_presenters as lp
from tiercard.web.errors import web_view
from tiercard.web.requests import posted, viewer


def _nav(user: User, section: str) -> dict[str, Any]:
    return {"section": section, "hide_versions": user.role != Role.ADMIN}


@web_view
@require_GET
def rewards_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    ladder = active_programme().programme.ladder
    if policy.can_manage_rewards(user):  # administrators see retired rewards too
        rewards = list(Reward.objects.order_by("-active", "points_cost", "code"))
    else:
        rewards = [o.reward for o in reward_catalogue(viewer=user, today=business_today())]
    context = {
        "rows": lp.reward_rows(rewards, ladder),
        "can_manage": policy.can_manage_rewards(user),
        **_nav(user, "rewards"),
    }
    return render(request, "web/loyalty/rewards.html", context)


def _reward_form(request: HttpRequest, reward: Reward | None) -> HttpResponse:
    user = viewer(request)
    if not policy.can_manage_rewards(user):
        raise PermissionDenied()
    tiers = lp.tier_choices(active_programme().programme.ladder)
    initial = _initial(reward) if reward is not None else {"active": True, "kind": "gift"}
    form = loyalty_forms.RewardForm(
        posted(request), initial=initial, tiers=tiers, editing=reward is not None
    )
    if request.method == "POST" and form.is_valid():
        try:
            if reward is None:
                saved = reward_create(actor=user, data=form.service_data())
                messages.success(request, _("Reward %(code)s created.") % {"code": saved.code})
            else:
                saved = reward_update(actor=user, reward_id=reward.pk, data=form.service_data())
                messages.success(request, _("Reward %(code)s saved.") % {"code": saved.code})
        except ValidationFailed as error:
            loyalty_forms.refused(form, error)
        else:
            return redirect("web:loyalty_rewards")
    context = {"form": form, "reward": reward, **_nav(user, "rewards")}
    return render(request, "web/loyalty/reward_form.html", context)


def _initial(reward: Reward) -> dict[str, Any]:
    return {
        "name_zh": reward.name_zh,
        "name_en": reward.name_en,
        "kind": reward.kind,
        "points_cost": str(reward.points_cost),
        "stock": "" if reward.stock is None else str(reward.stock),
        "valid_from": reward.valid_from.isoformat() if reward.valid_from else "",
        "valid_until": reward.valid_until.isoformat() if reward.valid_until else "",
        "min_tier": reward.min_tier,
        "active": reward.active,
        "description": reward.description,
    }


@web_view
@require_http_methods(["GET", "POST"])
def reward_new_view(request: HttpRequest) -> HttpResponse:
    return _reward_form(request, None)


@web_view
@require_http_methods(["GET", "POST"])
def reward_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not policy.can_manage_rewards(viewer(request)):
        raise PermissionDenied()
    reward = Reward.objects.filter(pk=pk).first()
    if reward is None:
        raise NotFound()
    return _reward_form(request, reward)


@web_view
@require_GET
def points_view(request: HttpRequest) -> HttpResponse:
    """Liability, expiry forecast and customers per tier over the viewer's customers."""
    user = viewer(request)
    today = business_today()
    liability = points_liability(viewer=user, today=today)
    forecast = points_forecast(viewer=user, today=today)
    ladder = active_programme().programme.ladder
    counts = tier_distribution(user)
    tiers = [
        (lp.tier_name(t), t.colour, lp.points_text(counts.get(t.code, 0)))
        for t in reversed(ladder.tiers)
    ]
    context = {
        "overview": lp.points_overview(liability, forecast),
        "tiers": tiers,
        "today": today,
        **_nav(user, "points"),
    }
    return render(request, "web/loyalty/points.html", context)
