"""Reads of programme versions. The rules are programme configuration, not customer data:
any signed-in user may read them (account managers explain tiers to customers)."""

from __future__ import annotations

from django.db.models import QuerySet

from tiercard.accounts.models import User
from tiercard.accounts.policy import is_active
from tiercard.core.errors import NotFound
from tiercard.loyalty.models import TierLadder


def ladder_versions(*, viewer: User) -> QuerySet[TierLadder]:
    """Every version, newest first, with who drafted and who applied it (one query)."""
    rows = TierLadder.objects.select_related("created_by", "activated_by").order_by("-version")
    return rows if is_active(viewer) else rows.none()


def ladder_version(*, viewer: User, version: int) -> TierLadder:
    """One version; ``NotFound`` (``unknown_version``) when there is none."""
    row = ladder_versions(viewer=viewer).filter(version=version).first()
    if row is None:
        raise NotFound(code="unknown_version")
    return row
