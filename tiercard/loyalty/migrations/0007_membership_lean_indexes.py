"""Membership: fewer index entries per row version (the nightly roll rewrites ~8k rows).

The tier gets one plain index (no PostgreSQL pattern index); the override foreign keys get
partial indexes over the rows that have an override. Reversing re-adds no dropped index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_search_index"),
        ("loyalty", "0006_covering_window_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Only the indexes go: altering the fields the ordinary way would make SQLite copy
            # the table (a million members in a large installation).
            state_operations=[
                migrations.AlterField(
                    model_name="membership",
                    name="override_approved_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="override_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="tier",
                    field=models.CharField(max_length=32, verbose_name="tier"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"', reverse_sql=migrations.RunSQL.noop
                )
                for name in (
                    "loyalty_membership_tier_fd9a4436",
                    "loyalty_membership_tier_fd9a4436_like",
                    "loyalty_membership_override_approved_by_id_78a159de",
                    "loyalty_membership_override_by_id_94cdc026",
                )
            ],
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["tier"], name="member_tier"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("override_by__isnull", False)),
                fields=["override_by"],
                name="member_override_by",
            ),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("override_approved_by__isnull", False)),
                fields=["override_approved_by"],
                name="member_override_approved",
            ),
        ),
    ]
