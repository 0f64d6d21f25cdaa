"""Idempotency keys are unique by named constraints, with no pattern-ops index beside them
(``tiercard.core.unique_keys``, loyalty migration 0010, outbox migration 0003)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tests.migrations_support import migrate_to
from tiercard.loyalty.models import BenefitUse, GrowthEntry, PointsEntry
from tiercard.outbox.models import OutboxMessage

KEYED = {
    "loyalty_growthentry": "growth_key_unique",
    "loyalty_pointsentry": "points_entry_key_unique",
    "loyalty_benefituse": "benefit_use_key_unique",
    "outbox_outboxmessage": "outbox_key_unique",
}


def _indexes_on_key(table: str) -> dict[str, bool]:
    """Every index (and unique constraint) of ``table`` over ``key`` alone: name → unique."""
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, table)
    return {
        name: bool(info["unique"])
        for name, info in found.items()
        if info["columns"] == ["key"] and (info["index"] or info["unique"])
    }


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(KEYED))
def test_each_key_has_one_unique_index_and_nothing_else(table: str) -> None:
    on_key = _indexes_on_key(table)
    assert list(on_key.values()) == [True], on_key  # one index over key: the unique one
    if connection.vendor == "postgresql":
        assert list(on_key) == [KEYED[table]]  # named as the model declares it


@pytest.mark.django_db
def test_a_repeated_key_is_still_refused_and_nothing_is_written() -> None:
    OutboxMessage.objects.create(key="k:1", kind="tier_upgrade", customer_id=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(key="k:1", kind="tier_upgrade", customer_id=2)
    assert list(OutboxMessage.objects.values_list("customer_id", flat=True)) == [1]


def test_the_models_declare_the_constraints() -> None:
    declared = {
        model._meta.db_table: [
            c.name for c in model._meta.constraints if getattr(c, "fields", ()) == ("key",)
        ]
        for model in (GrowthEntry, PointsEntry, BenefitUse, OutboxMessage)
    }
    assert declared == {table: [name] for table, name in KEYED.items()}


@pytest.mark.django_db(transaction=True)
def test_the_migrations_go_back_to_the_field_constraint_and_forth_again() -> None:
    before = [("loyalty", "0009_review_marks"), ("outbox", "0002_tier_rule_change_message")]
    try:
        migrate_to(before)
        for table in KEYED:
            on_key = _indexes_on_key(table)
            if connection.vendor == "postgresql":  # the column's UNIQUE and its LIKE index
                assert sorted(on_key.values()) == [False, True], on_key
                assert f"{table}_key_key" in on_key
            else:
                assert list(on_key.values()) == [True], on_key
        migrate_to(None)
        for table, name in KEYED.items():
            on_key = _indexes_on_key(table)
            assert list(on_key.values()) == [True], on_key
            if connection.vendor == "postgresql":
                assert list(on_key) == [name]
    finally:
        migrate_to(None)
