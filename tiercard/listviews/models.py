"""Saved views of the member table: a name for a set of filters, a sort and columns.

A view belongs to the user who saved it. A shared view is offered to everyone (read only:
only its owner renames or deletes it); only managers and admins share. Each user has at most
one default view, opened when they come to the table without parameters. ``state`` holds
``TableView.as_dict()``; it is read back leniently, so a view saved before a column or sort
was removed still opens.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=60)
    state = models.JSONField(default=dict)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    is_default = models.BooleanField(_("my default view"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="saved_view_one_default"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="saved_view_name_not_blank"),
        ]
        indexes = [
            models.Index(fields=["shared"], condition=Q(shared=True), name="saved_view_shared")
        ]

    def __str__(self) -> str:
        return self.name
