"""One index per sort of the member table led by the tier, so a tier-filtered page is one range
scan in the sort's order whichever tier and sort are chosen (``tiercard.listviews.table.
walk_base``). The customer sorts read ``customers_customer.tier`` (kept by triggers, "" for the
lowest tier: loyalty migration 0008); the membership sorts read ``loyalty_membership.tier``.
"""

from django.db import migrations

INDEXES = [
    ("table_tier_recent", "customers_customer", "tier, registered_on DESC, id DESC"),
    ("table_tier_name", "customers_customer", "tier, name_pinyin, id"),
    ("table_tier_spend", "customers_customer", "tier, total_spend DESC, id DESC"),
    ("table_tier_orders", "customers_customer", "tier, order_count DESC, id DESC"),
    ("table_tier_last_purchase", "customers_customer", "tier, last_purchase_at DESC, id DESC"),
    ("table_tier_last_contact", "customers_customer", "tier, last_interaction_at DESC, id DESC"),
    ("table_tier_points", "loyalty_membership", "tier, points_balance DESC, customer_id DESC"),
    ("table_tier_win_spend", "loyalty_membership", "tier, win_spend DESC, customer_id DESC"),
    ("table_tier_win_orders", "loyalty_membership", "tier, win_orders DESC, customer_id DESC"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("listviews", "0003_table_city_recent"),
        ("customers", "0005_customer_tier"),
        ("loyalty", "0008_customer_tier_triggers"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
