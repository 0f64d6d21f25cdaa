"""The reward catalogue (积分商城): administrators create and edit rewards.

Rules (each reported as a field error, all at once): ``code`` is ``[a-z0-9_-]``, 1..32 and
unique; both names are required; ``points_cost`` is 1..10,000,000; ``stock`` is empty
(unlimited) or a whole number >= 0; ``valid_until`` is not before ``valid_from``; ``min_tier``
is empty or a tier of the active ladder. A reward is never deleted (redemptions refer to it):
it is deactivated. Redemption itself is in ``points_redeem``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record, field_diff
from tiercard.core.errors import FieldErrors, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.modelcheck import full_clean_into
from tiercard.core.text import clean_text
from tiercard.customers import validation as v
from tiercard.loyalty.models import Reward, RewardKind
from tiercard.loyalty.services.points_redeem import points_redeem, redemption_cancel
from tiercard.loyalty.services.state import active_programme

__all__ = ["points_redeem", "redemption_cancel", "reward_create", "reward_update"]

CODE = re.compile(r"[a-z0-9_-]{1,32}")
MAX_COST = 10_000_000
FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "kind",
    "points_cost",
    "stock",
    "valid_from",
    "valid_until",
    "min_tier",
    "active",
    "description",
)


def _int(raw: object, errors: FieldErrors, field: str, low: int, high: int) -> int | None:
    if isinstance(raw, bool):
        raw = None
    text = str(raw).strip() if raw is not None else ""
    if not re.fullmatch(r"-?\d{1,12}", text):
        errors.add(field, _("Enter a whole number."))
        return None
    value = int(text)
    if not low <= value <= high:
        errors.add(
            field, _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
        return None
    return value


def _bool(raw: object) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return bool(raw)


def _apply(reward: Reward, data: Mapping[str, Any], errors: FieldErrors) -> None:
    """Set the given fields on ``reward`` (partial), adding each problem to ``errors``."""
    for name in sorted(set(data) - set(FIELDS)):
        errors.add(name, _("Unknown field."))
    if "code" in data:
        reward.code = clean_text(str(data["code"] or "")).lower()
    for name in ("name_zh", "name_en", "description"):
        if name in data:
            setattr(reward, name, clean_text(str(data[name] or "")))
    if "kind" in data:
        reward.kind = str(data["kind"] or "")
    if "points_cost" in data:
        cost = _int(data["points_cost"], errors, "points_cost", 1, MAX_COST)
        reward.points_cost = cost if cost is not None else 1
    if "stock" in data:
        if data["stock"] in (None, ""):
            reward.stock = None
        else:
            reward.stock = _int(data["stock"], errors, "stock", 0, 2_000_000_000)
    for name in ("valid_from", "valid_until"):
        if name in data:
            raw = data[name]
            value = raw if isinstance(raw, dt.date) else v.clean_date(raw, errors, name)
            setattr(reward, name, value)
    if "min_tier" in data:
        reward.min_tier = clean_text(str(data["min_tier"] or ""))
    if "active" in data:
        reward.active = _bool(data["active"])


def _validate(reward: Reward, errors: FieldErrors) -> None:
    if not CODE.fullmatch(reward.code):
        errors.add("code", _("Use 1 to 32 lowercase letters, digits, “_” or “-”."))
    elif Reward.objects.filter(code=reward.code).exclude(pk=reward.pk).exists():
        errors.add("code", _("Another reward has this code."))
    if reward.kind not in RewardKind.values:
        errors.add("kind", _("Choose gift, coupon or service."))
    if reward.min_tier:
        codes = {tier.code for tier in active_programme().programme.ladder.tiers}
        if reward.min_tier not in codes:
            errors.add("min_tier", _("No tier with this code in the ladder."))
    if (
        reward.valid_from is not None
        and reward.valid_until is not None
        and reward.valid_until < reward.valid_from
    ):
        errors.add("valid_until", _("The end date cannot be before the start date."))
    if "code" not in errors.errors and "kind" not in errors.errors:
        full_clean_into(reward, errors, exclude=["created_at"])


def _snapshot(reward: Reward) -> dict[str, Any]:
    return {name: getattr(reward, name) for name in FIELDS}


def _save(reward: Reward, fields: list[str] | None = None) -> None:
    """Save; an update writes only the changed fields, so it never undoes a redemption's
    concurrent stock decrement unless the stock itself is being set."""
    try:
        with transaction.atomic():
            reward.save(update_fields=fields)
    except IntegrityError:
        # Lost a race for the code with a concurrent create.
        raise ValidationFailed(
            fields={"code": [_("Another reward has this code.")]}, code="duplicate_code"
        ) from None


def reward_create(*, actor: User, data: Mapping[str, Any]) -> Reward:
    """A new reward (active unless ``active`` says otherwise). Admins only; audited."""
    if not policy.can_manage_rewards(actor):
        raise PermissionDenied()
    reward = Reward(kind=RewardKind.GIFT, points_cost=1, active=True)
    errors = FieldErrors()
    for name in ("code", "name_zh", "name_en", "points_cost"):
        if data.get(name) in (None, ""):
            errors.add(name, _("This field is required."))
    _apply(reward, data, errors)
    _validate(reward, errors)
    errors.raise_if_any()
    with transaction.atomic():
        _save(reward)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=reward, changes=_snapshot(reward))
    return reward


def reward_update(*, actor: User, reward_id: int, data: Mapping[str, Any]) -> Reward:
    """Change the given fields of a reward. Admins only; audited with a field diff.

    Redemptions already issued keep their points and quantity; a lower stock never goes below
    zero (it is validated >= 0).
    """
    if not policy.can_manage_rewards(actor):
        raise PermissionDenied()
    reward = Reward.objects.filter(pk=reward_id).first()
    if reward is None:
        raise NotFound(code="reward_not_found")
    before = _snapshot(reward)
    errors = FieldErrors()
    _apply(reward, data, errors)
    _validate(reward, errors)
    errors.raise_if_any()
    changes = field_diff(before, _snapshot(reward))
    if not changes:
        return reward
    with transaction.atomic():
        _save(reward, list(changes))
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=reward, changes=changes)
    return reward
