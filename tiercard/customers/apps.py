from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _heal_search_index(using: str = "default", **_kwargs: Any) -> None:
    from tiercard.customers.search_index import ensure_sqlite_sync

    ensure_sqlite_sync(using)


class CustomersConfig(AppConfig):
    name = "tiercard.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # A later migration that rebuilds the customer table on SQLite drops its triggers.
        post_migrate.connect(_heal_search_index, sender=self)
