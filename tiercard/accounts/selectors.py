"""Reads of users: who may own customers, as seen by a given actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tiercard.accounts.models import ApiToken, Role, User
from tiercard.accounts.policy import is_active

OWNER_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES)


def assignable_owners(actor: User) -> QuerySet[User]:
    """Account managers ``actor`` may give a customer to.

    Admins: any active admin, manager or sales user. Managers: themselves and the managers
    and sales of their team. Sales: only themselves. Service and marketing: nobody.
    """
    users = User.objects.filter(is_active=True).select_related("team")
    if not is_active(actor):
        return users.none()
    if actor.role == Role.ADMIN:
        return users.filter(role__in=OWNER_ROLES)
    if actor.role == Role.MANAGER:
        scope = Q(pk=actor.pk)
        if actor.team_id:
            scope |= Q(team_id=actor.team_id, role__in=(Role.MANAGER, Role.SALES))
        return users.filter(scope)
    if actor.role == Role.SALES:
        return users.filter(pk=actor.pk)
    return users.none()


def owner_filter_choices(viewer: User) -> QuerySet[User]:
    """Owners a list may be filtered by: everyone whose customers the viewer can see."""
    if viewer.role in {Role.SERVICE, Role.MARKETING} and is_active(viewer):
        return User.objects.filter(is_active=True, role__in=OWNER_ROLES).select_related("team")
    if viewer.role == Role.SALES:
        return User.objects.none()
    return assignable_owners(viewer)


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """A user's API tokens, newest first (the secrets themselves are never stored)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
