"""``core.bulk_insert.inserting_objects``: rows sent before the block, the COPY completed
after it, and no statement allowed in between (on PostgreSQL it would wait for itself)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tiercard.core.bulk_insert import inserting_objects
from tiercard.customers.models import Tag

pytestmark = pytest.mark.django_db


def test_keys_are_set_before_the_block_and_the_rows_are_there_after() -> None:
    tags = [Tag(name=f"标签{i}", color="#336699") for i in range(1200)]
    with inserting_objects(Tag, tags):
        keys = [t.pk for t in tags]
        assert all(keys) and len(set(keys)) == len(tags)
        assert not any(t._state.adding for t in tags)
    stored = dict(Tag.objects.filter(pk__in=keys).values_list("pk", "name"))
    assert stored == {t.pk: t.name for t in tags}


def test_a_statement_inside_the_block_is_refused_and_nothing_is_kept() -> None:
    before = Tag.objects.count()
    with pytest.raises(RuntimeError, match="COPY is open"):
        _count_inside_the_block()
    assert Tag.objects.count() == before
    with connection.cursor() as cur:  # the connection is usable again
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def test_an_error_in_the_block_inside_a_transaction_writes_nothing() -> None:
    before = Tag.objects.count()
    with pytest.raises(ZeroDivisionError):
        _fail_inside_the_block()
    assert Tag.objects.count() == before
    assert not Tag.objects.filter(name="乙").exists()


def _count_inside_the_block() -> None:
    with transaction.atomic(), inserting_objects(Tag, [Tag(name="甲", color="#000000")]):
        Tag.objects.count()


def _fail_inside_the_block() -> None:
    with transaction.atomic(), inserting_objects(Tag, [Tag(name="乙", color="#000000")]):
        _ = 1 / 0
