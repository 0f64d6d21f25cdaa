"""``core.batch`` and the keys ``core.rows`` reserves: statements queued and sent together on
PostgreSQL (one round trip), in order with every other statement, checks applied at the flush,
errors raised as Django's; run at once on SQLite. The checkout's round trips on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tiercard.core import batch, rows
from tiercard.customers.models import Tag

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statements are queued on PostgreSQL only"
)

INSERT_TAG = "INSERT INTO customers_tag (name, color) VALUES (%s, %s)"


class Refused(Exception):
    pass


def _names() -> list[str]:
    return sorted(Tag.objects.filter(name__startswith="批").values_list("name", flat=True))


@postgres_only
def test_statements_wait_for_a_result_and_run_in_the_order_sent() -> None:
    with transaction.atomic(), batch.batched():
        first = batch.send(INSERT_TAG, ["批一", "#000000"])
        second = batch.send("SELECT count(*) FROM customers_tag WHERE name = %s", ["批一"])
        assert len(batch.current().queue) == 2  # type: ignore[union-attr]  # queued, not run
        assert second.row() == (1,)  # the insert ran first
        assert not batch.current().queue  # type: ignore[union-attr]
        assert first.rowcount == 1
        third = batch.send("UPDATE customers_tag SET color = '#111111' WHERE name LIKE '批%%'")
        assert third.rowcount == 1  # reading the count runs the batch
    assert _names() == ["批一"]


@postgres_only
def test_another_statement_on_the_connection_runs_what_is_queued_first() -> None:
    with transaction.atomic(), batch.batched():
        batch.send(INSERT_TAG, ["批二", "#000000"])
        assert Tag.objects.filter(name="批二").count() == 1  # an ORM read sees the queued insert
        assert not batch.current().queue  # type: ignore[union-attr]


@postgres_only
def test_a_failed_check_raises_its_error_and_the_transaction_keeps_nothing() -> None:
    def checked() -> None:
        with transaction.atomic(), batch.batched():
            batch.send(INSERT_TAG, ["批三", "#000000"])
            batch.send(
                "UPDATE customers_tag SET color = %s WHERE name = %s",
                ["#111111", "无"],
                expect=1,
                error=Refused,
            )
            batch.send(INSERT_TAG, ["批四", "#000000"])

    with pytest.raises(Refused):
        checked()
    assert _names() == []
    assert batch.current() is None


@postgres_only
def test_a_failing_statement_raises_django_s_error_at_the_flush() -> None:
    Tag.objects.create(name="批五")

    def duplicate() -> None:
        with transaction.atomic(), batch.batched():
            batch.send(INSERT_TAG, ["批六", "#000000"])
            batch.send(INSERT_TAG, ["批五", "#000000"])  # the unique name

    with pytest.raises(IntegrityError):
        duplicate()
    assert _names() == ["批五"]
    with connection.cursor() as cur:  # the connection is usable again
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


@postgres_only
def test_an_error_in_the_block_drops_the_queue_unsent() -> None:
    def failing() -> None:
        with transaction.atomic(), batch.batched():
            batch.send(INSERT_TAG, ["批七", "#000000"])
            _ = 1 / 0

    with CaptureQueriesContext(connection) as seen, pytest.raises(ZeroDivisionError):
        failing()
    assert _names() == []
    assert not any("批七" in q["sql"] for q in seen.captured_queries)


@postgres_only
def test_queued_statements_are_logged_like_others() -> None:
    with CaptureQueriesContext(connection) as seen, transaction.atomic(), batch.batched():
        batch.send(INSERT_TAG, ["批八", "#000000"])
    assert any("批八" in q["sql"] and "INSERT INTO customers_tag" in q["sql"] for q in seen)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite runs statements at once")
def test_on_sqlite_a_statement_in_a_batch_runs_at_once() -> None:
    with transaction.atomic(), batch.batched():
        assert batch.current() is None
        sent = batch.send(INSERT_TAG, ["批九", "#000000"])
        assert sent.rowcount == 1
        assert Tag.objects.filter(name="批九").exists()


def test_outside_a_batch_a_statement_runs_at_once_and_is_checked() -> None:
    sent = batch.send(INSERT_TAG, ["批十", "#000000"])
    assert sent.rowcount == 1 and Tag.objects.filter(name="批十").exists()
    with pytest.raises(Refused):
        batch.send(
            "UPDATE customers_tag SET color = '#222222' WHERE name = '无'", expect=1, error=Refused
        )


@postgres_only
def test_reserved_keys_are_used_in_order_then_the_database_s_again() -> None:
    with transaction.atomic(), batch.batched():
        rows.reserve({Tag: 2})
        tags = [rows.insert(Tag(name=f"批{n}", color="#000000")) for n in ("甲", "乙", "丙")]
        reserved = batch.current().reserved[Tag][0].row()[0]  # type: ignore[union-attr]
        assert [t.pk for t in tags[:2]] == list(reserved)
        assert tags[2].pk > tags[1].pk  # the third came back from RETURNING
    stored = dict(Tag.objects.filter(name__startswith="批").values_list("name", "pk"))
    assert stored == {t.name: t.pk for t in tags}


def test_reserving_outside_a_batch_changes_nothing() -> None:
    with CaptureQueriesContext(connection) as seen:
        rows.reserve({Tag: 3})
    assert seen.captured_queries == []
    tag = rows.insert(Tag(name="批外", color="#000000"))
    assert Tag.objects.get(pk=tag.pk).name == "批外"


def test_update_later_refuses_a_missing_row() -> None:
    tag = Tag.objects.create(name="批改")
    Tag.objects.filter(pk=tag.pk).delete()
    tag.color = "#333333"

    def update() -> None:
        with transaction.atomic(), batch.batched():
            rows.update_later(tag, ["color"])

    with pytest.raises(RuntimeError, match="expected 1 row"):
        update()
    assert not Tag.objects.filter(pk=tag.pk).exists()


@postgres_only
def test_a_purchase_is_three_round_trips(
    users: dict[str, Any], book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads, the writes and the commit: no statement runs outside the two batches."""
    from tiercard.loyalty.services.checkout import purchase_record

    flushes: list[int] = []
    direct: list[str] = []
    original = batch.flush

    def counting() -> None:
        open_batch = batch.current()
        if open_batch is not None and open_batch.queue:
            flushes.append(len(open_batch.queue))
        original()

    def spy(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        direct.append(sql)
        return execute(sql, *args)

    purchase_record(actor=users["rep_east1"], customer_id=book["east1"].pk, data=_tea("R-0"))
    monkeypatch.setattr(batch, "flush", counting)
    with connection.execute_wrapper(spy):
        recorded = purchase_record(
            actor=users["rep_east1"], customer_id=book["east1"].pk, data=_tea("R-1")
        )
    assert recorded.created and recorded.purchase.total == Decimal("88.00")
    # (The test runs in a transaction, so the checkout's own is a savepoint.)
    assert [sql for sql in direct if "SAVEPOINT" not in sql] == []
    assert len(flushes) == 2 and flushes[0] == 6 and flushes[1] >= 9, flushes


def _tea(ref: str) -> dict[str, Any]:
    return {"external_ref": ref, "lines": [{"item_name": "茶", "unit_price": "88.00"}]}


def test_the_batched_membership_read_locks_nothing_while_the_window_row_is_missing(
    book: dict[str, Any],
) -> None:
    """Creating the window row rebuilds every member's figures: a purchase must not hold a
    member's lock then (another purchase, holding its own, would wait for the window row)."""
    from tiercard.loyalty.models import Membership, WindowState
    from tiercard.loyalty.services.state import active_programme, membership_later, membership_lock

    customer = book["east1"]
    with transaction.atomic():
        membership_lock(customer.pk, active_programme())
    with transaction.atomic(), batch.batched():
        WindowState.objects.filter(pk=1).delete()
        assert membership_later(customer.pk)() is None
        WindowState.objects.create(pk=1, window_start="2026-01-01", spec={})
        found = membership_later(customer.pk)()
        assert isinstance(found, Membership) and found.customer_id == customer.pk
        transaction.set_rollback(True)
