"""The Django admin, open to the administrator role only.

The admin reads records without the row-level scope of the app (an administrator sees
everything anyway), so a staff flag alone must not open it to managers or sales staff.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.policy import can_use_admin_site


class TiercardAdminSite(admin.AdminSite):
    site_header = _("tiercard back office")
    site_title = _("tiercard back office")
    index_title = _("Back office")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(super().has_permission(request) and can_use_admin_site(user))  # type: ignore[arg-type]
