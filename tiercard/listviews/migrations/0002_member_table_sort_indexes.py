"""Indexes behind the member table's sorts (``tiercard.listviews.table.SORTS``).

They live here, with the table that needs them, rather than in the customers and loyalty
apps: each one exists for one ordering of the table and goes when that ordering goes. Every
index ends in the customer id in the same direction as the sort value, so a keyset page is one
range scan. Sorts over a column that may be empty read the rows with a value and the rows
without one as separate segments (``WHERE x IS NOT NULL ORDER BY x DESC, id DESC``, then
``WHERE x IS NULL ORDER BY id DESC``), so the plain descending index serves the first on
SQLite and PostgreSQL alike (no NULLS LAST ordering is ever asked for), and a small partial
index on the id serves the second. Already present and reused: ``customer_registered``,
``customer_total_spend``, ``customer_last_purchase``.
"""

from django.db import migrations

INDEXES = [
    ("table_name", "customers_customer", "name_pinyin, id", ""),
    ("table_orders", "customers_customer", "order_count DESC, id DESC", ""),
    ("table_last_contact", "customers_customer", "last_interaction_at DESC, id DESC", ""),
    ("table_owner_recent", "customers_customer", "owner_id, registered_on DESC, id DESC", ""),
    ("table_no_purchase", "customers_customer", "id", "last_purchase_at IS NULL"),
    ("table_no_contact", "customers_customer", "id", "last_interaction_at IS NULL"),
    ("table_points", "loyalty_membership", "points_balance DESC, customer_id DESC", ""),
    ("table_win_spend", "loyalty_membership", "win_spend DESC, customer_id DESC", ""),
    ("table_win_orders", "loyalty_membership", "win_orders DESC, customer_id DESC", ""),
]


def _create(name: str, table: str, columns: str, where: str) -> str:
    sql = f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
    return sql + (f" WHERE {where}" if where else "")


class Migration(migrations.Migration):
    dependencies = [
        ("listviews", "0001_initial"),
        ("customers", "0001_initial"),
        ("loyalty", "0003_review_last_purchase_index"),
    ]

    operations = [
        migrations.RunSQL(_create(*index), f"DROP INDEX IF EXISTS {index[0]}")
        for index in INDEXES
    ]
