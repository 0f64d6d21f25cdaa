"""Drop foreign-key indexes that a composite index already leads with.

``owner`` is led by ``customer_owner_status``, ``team`` by ``customer_team_status``, a contact
point's ``customer`` by ``contact_point_unique_per_customer``: each lookup (and each check
when a user, team or customer is deleted) uses those. The dropped ones only cost upkeep: every
customer row written (each purchase updates the card's totals, each import writes thousands)
updated two more indexes of the card and one more of its contact points.

Only the index is dropped (SeparateDatabaseAndState): altering the field the ordinary way
would make SQLite copy the whole table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = (
    ("customers_customer", "customers_customer_owner_id_fbb2798e", "owner_id"),
    ("customers_customer", "customers_customer_team_id_677425ba", "team_id"),
    ("customers_contactpoint", "customers_contactpoint_customer_id_c5e90863", "customer_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0006_city_tier_status_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="owned_customers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account manager",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="customers",
                        to="accounts.team",
                        verbose_name="team",
                    ),
                ),
                migrations.AlterField(
                    model_name="contactpoint",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact_points",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for table, name, column in DROPPED
            ],
        ),
    ]
