"""The member table filtered by city, newest registrations first, reads its key windows from
one index range (``tiercard.listviews.table.walk_base``), as a rep's table does from
``table_owner_recent``."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS table_city_recent "
    "ON customers_customer (city, registered_on DESC, id DESC)"
)


class Migration(migrations.Migration):
    dependencies = [("listviews", "0002_member_table_sort_indexes")]

    operations = [migrations.RunSQL(CREATE, "DROP INDEX IF EXISTS table_city_recent")]
