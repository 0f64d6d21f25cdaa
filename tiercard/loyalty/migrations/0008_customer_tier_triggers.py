"""The customer's tier copied onto the customer row, kept by triggers.

The member table filters by tier and sorts by a customer column (registration, spend, ...).
With the tier only on ``loyalty_membership`` such a page joined the two tables and walked the
sort's index until it had met enough customers of the tier: seconds for a tier that is rare at
the top of that order (the best tier among new registrations, the lowest among big spenders).
``customers_customer.tier`` lets one (tier, sort value, id) index serve each such page
(``listviews`` migration 0004).

Every path that writes a membership's tier (checkout upgrade, nightly review, ladder apply,
overrides, merges, bulk derivation) is set-based SQL or plain saves; rather than trusting each
of them to copy the tier, the database does it: after a membership row is inserted, its tier
updated or the row deleted, the customer row gets the tier's code, or "" for the lowest tier
of the active ladder (``loyalty_tierladder.lowest_tier``), which is also what a customer
without a membership row holds. ``""`` for the lowest tier keeps that tier one index range
instead of two (code, and no row yet). A ladder whose lowest tier has another code refreshes
the rows concerned (``tiercard.loyalty.services.customer_tier``).
"""

from django.db import migrations, models

from tiercard.loyalty.models.ladders import lowest_code

KEY = (
    "CASE WHEN NEW.tier = (SELECT lowest_tier FROM loyalty_tierladder WHERE is_active) "
    "THEN '' ELSE NEW.tier END"
)

SQLITE = [
    f"""CREATE TRIGGER membership_tier_insert AFTER INSERT ON loyalty_membership
    BEGIN
        UPDATE customers_customer SET tier = {KEY}
        WHERE id = NEW.customer_id AND tier IS NOT {KEY};
    END""",
    f"""CREATE TRIGGER membership_tier_update AFTER UPDATE OF tier ON loyalty_membership
    WHEN NEW.tier IS NOT OLD.tier
    BEGIN
        UPDATE customers_customer SET tier = {KEY}
        WHERE id = NEW.customer_id AND tier IS NOT {KEY};
    END""",
    """CREATE TRIGGER membership_tier_delete AFTER DELETE ON loyalty_membership
    BEGIN
        UPDATE customers_customer SET tier = '' WHERE id = OLD.customer_id AND tier <> '';
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS membership_tier_insert",
    "DROP TRIGGER IF EXISTS membership_tier_update",
    "DROP TRIGGER IF EXISTS membership_tier_delete",
]

POSTGRES = [
    f"""CREATE FUNCTION membership_tier_copy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            UPDATE customers_customer SET tier = '' WHERE id = OLD.customer_id AND tier <> '';
            RETURN OLD;
        END IF;
        UPDATE customers_customer SET tier = {KEY}
        WHERE id = NEW.customer_id AND tier IS DISTINCT FROM {KEY};
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER membership_tier_insert AFTER INSERT ON loyalty_membership
    FOR EACH ROW EXECUTE FUNCTION membership_tier_copy()""",
    """CREATE TRIGGER membership_tier_update AFTER UPDATE OF tier ON loyalty_membership
    FOR EACH ROW WHEN (NEW.tier IS DISTINCT FROM OLD.tier)
    EXECUTE FUNCTION membership_tier_copy()""",
    """CREATE TRIGGER membership_tier_delete AFTER DELETE ON loyalty_membership
    FOR EACH ROW EXECUTE FUNCTION membership_tier_copy()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS membership_tier_insert ON loyalty_membership",
    "DROP TRIGGER IF EXISTS membership_tier_update ON loyalty_membership",
    "DROP TRIGGER IF EXISTS membership_tier_delete ON loyalty_membership",
    "DROP FUNCTION IF EXISTS membership_tier_copy()",
]

BACKFILL = """
UPDATE customers_customer SET tier = (
    SELECT m.tier FROM loyalty_membership m WHERE m.customer_id = customers_customer.id
)
WHERE EXISTS (
    SELECT 1 FROM loyalty_membership m
    WHERE m.customer_id = customers_customer.id
    AND m.tier <> COALESCE((SELECT lowest_tier FROM loyalty_tierladder WHERE is_active), '')
)
"""


def forwards(apps, schema_editor):
    ladders = apps.get_model("loyalty", "TierLadder")
    for ladder in ladders.objects.all():
        ladder.lowest_tier = lowest_code(ladder.rules)
        ladder.save(update_fields=["lowest_tier"])
    vendor = schema_editor.connection.vendor
    for sql in [*(POSTGRES if vendor == "postgresql" else SQLITE), BACKFILL]:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0007_membership_lean_indexes"),
        ("customers", "0005_customer_tier"),
    ]

    operations = [
        migrations.AddField(
            model_name="tierladder",
            name="lowest_tier",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(forwards, backwards),
    ]
