"""Django's admin app, installed with tiercard's site (administrators only)."""

from django.contrib.admin.apps import AdminConfig


class TiercardAdminConfig(AdminConfig):
    default_site = "tiercard.accounts.admin_site.TiercardAdminSite"
