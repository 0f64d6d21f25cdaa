"""``Customer.tier``: the copy of the membership's tier the member table filters on (kept by
the loyalty app's triggers, loyalty migration 0008).

Added with a plain ``ALTER TABLE ... ADD COLUMN`` on both databases: Django's SQLite schema
editor would rebuild the whole table for a NOT NULL column with a default (copying a million
rows) and the rebuilt table loses every index created by hand in earlier migrations (the
search and member-table indexes). A constant default makes it instant on both.
"""

from django.db import migrations, models

ADD = "ALTER TABLE customers_customer ADD COLUMN tier varchar(32) DEFAULT '' NOT NULL"
DROP = "ALTER TABLE customers_customer DROP COLUMN tier"


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_city_status_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="tier",
                    field=models.CharField(blank=True, default="", editable=False, max_length=32),
                )
            ],
        )
    ]
