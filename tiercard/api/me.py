"""Who am I: the caller's identity, role, team and what the role may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Router

from tiercard.accounts import policy
from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.schemas import MeOut
from tiercard.api.serializers import ref_team

router = Router(tags=["me"])


@router.get("/me", response={200: MeOut, **error_responses()})
def me(request: HttpRequest) -> dict[str, Any]:
    user = viewer(request)
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "role": user.role,
        "team": ref_team(user.team),
        "language": user.language or translation.get_language() or "",
        "pii_masked": policy.sees_masked_pii(user),
        "permissions": {
            "create_customer": policy.can_create_customer(user),
            "update_customers": policy.can_update_customers(user),
            "archive_customers": policy.can_archive_customers(user),
            "assign_owner": policy.can_assign_owner(user),
            "record_purchase": policy.can_record_purchase(user),
            "log_interaction": policy.can_log_interaction(user),
            "reveal_pii": policy.can_reveal_pii(user),
        },
    }
