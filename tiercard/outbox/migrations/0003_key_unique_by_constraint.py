"""The message key unique by a named constraint, without PostgreSQL's pattern-ops index
(``tiercard.core.unique_keys``)."""

from django.db import migrations

from tiercard.core.unique_keys import key_constraint_operations


class Migration(migrations.Migration):
    dependencies = [("outbox", "0002_tier_rule_change_message")]

    operations = key_constraint_operations(
        "outbox.OutboxMessage", "outbox_outboxmessage", "outbox_key_unique"
    )
