"""Idempotency keys unique by named constraints, without PostgreSQL's pattern-ops indexes
(``tiercard.core.unique_keys``)."""

from django.db import migrations

from tiercard.core.unique_keys import key_constraint_operations


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0009_review_marks")]

    operations = [
        *key_constraint_operations("loyalty.GrowthEntry", "loyalty_growthentry", "growth_key_unique"),
        *key_constraint_operations(
            "loyalty.PointsEntry", "loyalty_pointsentry", "points_entry_key_unique"
        ),
        *key_constraint_operations(
            "loyalty.BenefitUse", "loyalty_benefituse", "benefit_use_key_unique"
        ),
    ]
