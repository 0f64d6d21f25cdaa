"""Two fewer index entries on every membership row version written.

* ``member_tier`` dropped: the member table's ``table_tier_*`` indexes lead with the tier and
  serve a tier's lookups.
* ``review_due`` (a flag with its partial index ``member_due``) becomes a row in the narrow
  ``loyalty_reviewmark`` table: the nightly roll set the flag and the review cleared it, two
  rewrites of each wide membership row (with every index) for one bit. Pending flags are kept
  as marks; the way back turns marks into flags again.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

FLAGS_TO_MARKS = """
    INSERT INTO loyalty_reviewmark (customer_id, marked_at)
    SELECT customer_id, updated_at FROM loyalty_membership WHERE review_due
"""
MARKS_TO_FLAGS = """
    UPDATE loyalty_membership SET review_due = TRUE
    WHERE customer_id IN (SELECT customer_id FROM loyalty_reviewmark)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_customer_tier"),
        ("loyalty", "0008_customer_tier_triggers"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="membership", name="member_tier"),
        migrations.CreateModel(
            name="ReviewMark",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="customers.customer",
                    ),
                ),
                ("marked_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "membership to review",
                "verbose_name_plural": "memberships to review",
            },
        ),
        migrations.RunSQL(FLAGS_TO_MARKS, MARKS_TO_FLAGS),
        migrations.RemoveIndex(model_name="membership", name="member_due"),
        migrations.RemoveField(model_name="membership", name="review_due"),
    ]
