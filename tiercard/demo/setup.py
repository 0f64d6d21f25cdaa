"""What ``make run`` needs before serving: a migrated database, demo users and demo data."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.demo.load import LoadReport, load_demo
from tiercard.demo.staff import DEMO_USERS, demo_password_works, ensure_demo_staff
from tiercard.demo.tickets import plant_tickets
from tiercard.demo.twins import plant_twins
from tiercard.loyalty.services.bulk import loyalty_bulk_init

SETUP_CUSTOMERS = 2000


def migrate_if_needed() -> bool:
    """Apply unapplied migrations; True when something was applied."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    call_command("migrate", interactive=False, verbosity=0)
    return True


@dataclass(frozen=True)
class SetupResult:
    migrated: bool
    loaded: LoadReport | None  # None when the database already had customers
    customers: int
    created_users: tuple[str, ...]
    admin_has_demo_password: bool


def setup_demo(*, customers: int = SETUP_CUSTOMERS, seed: int = 1) -> SetupResult:
    """Migrate, ensure the demo users, and load demo data into an empty database.

    Safe to run again: existing customers and users are never touched or duplicated.
    """
    migrated = migrate_if_needed()
    created = ensure_demo_staff().created
    report = None
    if not Customer.objects.exists():
        report = load_demo(customers=customers, seed=seed)
        loyalty_bulk_init(business_today())
        plant_twins()  # a few duplicates for the duplicates queue to show
        plant_tickets()  # and service tickets for the service desk
    return SetupResult(
        migrated=migrated,
        loaded=report,
        customers=Customer.objects.count(),
        created_users=created,
        admin_has_demo_password=demo_password_works("admin"),
    )


def demo_usernames() -> list[str]:
    return [u.username for u in DEMO_USERS]
