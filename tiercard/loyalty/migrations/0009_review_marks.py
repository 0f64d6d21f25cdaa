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
# By hand, not RemoveField: undoing a RemoveField adds a NOT NULL column with a default, for
# which Django's SQLite schema editor rebuilds the table, and the rebuilt table loses the
# triggers of 0008 and the member table's hand-made sort indexes (listviews 0002, 0004).
DROP_FLAG = "ALTER TABLE loyalty_membership DROP COLUMN review_due"
ADD_FLAG = "ALTER TABLE loyalty_membership ADD COLUMN review_due boolean NOT NULL DEFAULT false"


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
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_FLAG, ADD_FLAG)],
            state_operations=[migrations.RemoveField(model_name="membership", name="review_due")],
        ),
    ]
