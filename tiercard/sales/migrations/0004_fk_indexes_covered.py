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
        ("sales", "0003_purchasereturn_purchase_returned_amount_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="purchase",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="purchases",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "sales_purchase_customer_id_e4024440"',
                    reverse_sql='CREATE INDEX "sales_purchase_customer_id_e4024440" ON "sales_purchase" ("customer_id")',
                ),
            ],
        ),
    ]
