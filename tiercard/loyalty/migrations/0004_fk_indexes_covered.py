"""Drop the customer foreign keys' own indexes where a composite index leads with customer.

Every purchase writes one row into each of these tables; each index is one more random page
to update. Lookups by customer use the composite indexes (``purchase_customer_at``,
``growth_customer_on``, ``points_entry_customer``, ``tier_change_customer_at``).

Only the index is dropped (SeparateDatabaseAndState): altering the field the ordinary way
would make SQLite copy the whole table, ten million rows in a large installation.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("loyalty", "0003_review_last_purchase_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="growthentry",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "loyalty_growthentry_customer_id_09fb3b79"',
                    reverse_sql='CREATE INDEX "loyalty_growthentry_customer_id_09fb3b79" ON "loyalty_growthentry" ("customer_id")',
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="pointsentry",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "loyalty_pointsentry_customer_id_b7f4543b"',
                    reverse_sql='CREATE INDEX "loyalty_pointsentry_customer_id_b7f4543b" ON "loyalty_pointsentry" ("customer_id")',
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="tierchange",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "loyalty_tierchange_customer_id_9c092db6"',
                    reverse_sql='CREATE INDEX "loyalty_tierchange_customer_id_9c092db6" ON "loyalty_tierchange" ("customer_id")',
                ),
            ],
        ),
    ]
