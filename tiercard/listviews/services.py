"""Writes of saved views. One function per state change, atomic and audited.

Rules:
- only the owner of a view renames, overwrites, shares, deletes it or makes it their default;
  another user's view is *not found* (a shared one is readable, never writable by others);
- names are 1–60 characters and unique per owner;
- only managers and admins share views with everyone;
- a user has at most one default view (the database refuses two): setting one clears the
  previous one in the same transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import Role, User
from tiercard.accounts.policy import is_active
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.core.text import clean_text
from tiercard.listviews.models import SavedView
from tiercard.listviews.table import TableView

NAME_MAX = 60


def can_share_views(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER}


def _clean_name(owner: User, raw: object, *, other_than: int | None = None) -> str:
    name = clean_text(str(raw or ""))
    if not name:
        raise ValidationFailed(fields={"name": [_("Enter a name for the view.")]})
    if len(name) > NAME_MAX:
        raise ValidationFailed(fields={"name": [_("A name has at most 60 characters.")]})
    taken = SavedView.objects.filter(owner=owner, name=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise ValidationFailed(fields={"name": [_("You already have a view with this name.")]})
    return name


def _own(actor: User, view_id: int) -> SavedView:
    view = SavedView.objects.select_for_update().filter(pk=view_id, owner=actor).first()
    if view is None or not is_active(actor):
        raise NotFound()
    return view


def _audit(actor: User, view: SavedView, action: str, changes: dict[str, object]) -> None:
    audit_record(actor=actor, action=action, obj=view, changes=changes)


def _save(view: SavedView) -> None:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:  # the same name saved concurrently
        raise ValidationFailed(
            fields={"name": [_("You already have a view with this name.")]}
        ) from exc


def saved_view_create(
    *, actor: User, name: object, view: TableView, shared: bool = False, default: bool = False
) -> SavedView:
    """Save ``view`` (filters, sort, columns, page size) under a new name."""
    if not is_active(actor):
        raise PermissionDenied()
    if shared and not can_share_views(actor):
        raise PermissionDenied(_("Only managers and administrators share views."))
    with transaction.atomic():
        saved = SavedView(
            owner=actor, name=_clean_name(actor, name), state=view.as_dict(), shared=shared
        )
        _save(saved)
        if default:
            _make_default(actor, saved)
        _audit(actor, saved, AuditAction.CREATE, {"name": [None, saved.name], "shared": shared})
    return saved


def saved_view_overwrite(*, actor: User, view_id: int, view: TableView) -> SavedView:
    """Replace what an own view shows with ``view`` (keeps its name, sharing and default)."""
    with transaction.atomic():
        saved = _own(actor, view_id)
        saved.state = view.as_dict()
        saved.updated_at = timezone.now()
        saved.save(update_fields=["state", "updated_at"])
        _audit(actor, saved, AuditAction.UPDATE, {"state": "replaced"})
    return saved


def saved_view_rename(*, actor: User, view_id: int, name: object) -> SavedView:
    with transaction.atomic():
        saved = _own(actor, view_id)
        new = _clean_name(actor, name, other_than=saved.pk)
        if new == saved.name:
            return saved
        old, saved.name, saved.updated_at = saved.name, new, timezone.now()
        _save(saved)
        _audit(actor, saved, AuditAction.UPDATE, {"name": [old, new]})
    return saved


def saved_view_share(*, actor: User, view_id: int, shared: bool) -> SavedView:
    """Share an own view with everyone, or take it back (managers and admins)."""
    with transaction.atomic():
        saved = _own(actor, view_id)
        if not can_share_views(actor):
            raise PermissionDenied(_("Only managers and administrators share views."))
        if saved.shared == shared:
            return saved
        saved.shared, saved.updated_at = shared, timezone.now()
        saved.save(update_fields=["shared", "updated_at"])
        _audit(actor, saved, AuditAction.UPDATE, {"shared": [not shared, shared]})
    return saved


def _make_default(actor: User, saved: SavedView) -> None:
    SavedView.objects.filter(owner=actor, is_default=True).exclude(pk=saved.pk).update(
        is_default=False
    )
    saved.is_default = True
    saved.save(update_fields=["is_default"])


def saved_view_set_default(*, actor: User, view_id: int, default: bool = True) -> SavedView:
    """Make an own view the one the table opens with (or stop it being that)."""
    with transaction.atomic():
        saved = _own(actor, view_id)
        if saved.is_default == default:
            return saved
        if default:
            _make_default(actor, saved)
        else:
            saved.is_default = False
            saved.save(update_fields=["is_default"])
        _audit(actor, saved, AuditAction.UPDATE, {"is_default": [not default, default]})
    return saved


def saved_view_delete(*, actor: User, view_id: int) -> None:
    with transaction.atomic():
        saved = _own(actor, view_id)
        _audit(actor, saved, AuditAction.DELETE, {"name": [saved.name, None]})
        saved.delete()
