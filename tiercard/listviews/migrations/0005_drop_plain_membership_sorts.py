"""The membership's three sort indexes over every tier go (``table_points``, ``table_win_spend``,
``table_win_orders``): the member table reads a membership sort across all tiers as the four
ranges of its ``(tier, value, id)`` index merged (``tiercard.listviews.table``).

Why: each index of a membership row takes an entry again whenever the row is written, and
every purchase, the nightly roll and the review write membership rows. Measured on 10,000 rows
changing their window figures: SQLite 1.0–1.6 s with these indexes, 0.37–0.42 s without;
PostgreSQL 38 → 26 µs per row.
"""

from django.db import migrations

DROPPED = [
    ("table_points", "loyalty_membership", "points_balance DESC, customer_id DESC"),
    ("table_win_spend", "loyalty_membership", "win_spend DESC, customer_id DESC"),
    ("table_win_orders", "loyalty_membership", "win_orders DESC, customer_id DESC"),
]


class Migration(migrations.Migration):
    dependencies = [("listviews", "0004_tier_sort_indexes")]

    operations = [
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {name}",
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
        )
        for name, table, columns in DROPPED
    ]
