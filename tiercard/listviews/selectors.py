"""Reads of saved views: a user's own views and the shared ones, nothing else."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tiercard.accounts.models import User
from tiercard.accounts.policy import is_active
from tiercard.core.errors import NotFound
from tiercard.listviews.models import SavedView


def saved_views_for(viewer: User) -> QuerySet[SavedView]:
    """The viewer's own views and everyone's shared ones, own first, by name (one query)."""
    if not is_active(viewer):
        return SavedView.objects.none()
    return (
        SavedView.objects.filter(Q(owner=viewer) | Q(shared=True))
        .select_related("owner")
        .order_by("name", "id")
    )


def saved_view_get(*, viewer: User, view_id: object) -> SavedView:
    """A view the viewer may open, or NotFound (also for another user's private view)."""
    text = str(view_id)
    if not text.isdigit() or len(text) > 18:
        raise NotFound()
    view = saved_views_for(viewer).filter(pk=int(text)).first()
    if view is None:
        raise NotFound()
    return view


def default_view_of(viewer: User) -> SavedView | None:
    if not is_active(viewer):
        return None
    return SavedView.objects.filter(owner=viewer, is_default=True).first()
