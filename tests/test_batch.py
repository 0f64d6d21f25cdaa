"""``core.batch`` and the keys ``core.rows`` reserves: statements streamed to PostgreSQL without
waiting (one wait for many), in order with every other statement, bound server-side and
prepared when repeated, checks applied at the flush, errors raised as Django's, everything
undone when an exception leaves the block; run at once on SQLite. The checkout's round trips
on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
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
    with batch.batched():
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
    with batch.batched():
        batch.send(INSERT_TAG, ["批二", "#000000"])
        assert Tag.objects.filter(name="批二").count() == 1  # an ORM read sees the queued insert
        assert not batch.current().queue  # type: ignore[union-attr]


@postgres_only
def test_a_failed_check_raises_its_error_and_the_transaction_keeps_nothing() -> None:
    def checked() -> None:
        with batch.batched():
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
        with batch.batched():
            batch.send(INSERT_TAG, ["批六", "#000000"])
            batch.send(INSERT_TAG, ["批五", "#000000"])  # the unique name

    with pytest.raises(IntegrityError):
        duplicate()
    assert _names() == ["批五"]
    with connection.cursor() as cur:  # the connection is usable again
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


@postgres_only
def test_an_error_in_the_block_undoes_what_was_sent() -> None:
    def failing() -> None:
        with batch.batched():
            batch.send(INSERT_TAG, ["批七", "#000000"])
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        failing()
    assert _names() == []
    assert batch.current() is None
    assert connection.connection._pipeline is None  # type: ignore[union-attr]  # left
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


@postgres_only
def test_a_statement_runs_on_the_server_before_anyone_waits_for_it() -> None:
    """Streamed, not queued: another connection sees the lock a sent statement takes while
    the block has not asked for any result yet."""
    key = 771_203

    def held_elsewhere() -> bool:
        found: list[bool] = []

        def look() -> None:
            try:
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                        [key],
                    )
                    found.append(cur.fetchone()[0] > 0)
            finally:
                connection.close()

        worker = threading.Thread(target=look)
        worker.start()
        worker.join()
        return found[0]

    with batch.batched():
        sent = batch.send("SELECT pg_advisory_xact_lock(%s)", [key])
        deadline = time.monotonic() + 10
        while not held_elsewhere() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held_elsewhere()
        assert batch.current().queue == [sent]  # type: ignore[union-attr]  # nobody waited


@postgres_only
def test_a_repeated_statement_is_bound_server_side_and_prepared() -> None:
    statement = "SELECT count(*) FROM customers_tag WHERE name = %s AND color = %s"
    for n in range(6):
        with batch.batched():
            assert batch.send(statement, [f"批{n}", "#000000"]).row() == (0,)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%customers_tag WHERE name = $1 AND color = $2%"],
        )
        assert len(cur.fetchall()) == 1


@postgres_only
def test_preparing_can_be_turned_off_for_poolers() -> None:
    raw = connection.connection
    assert raw is not None
    statement = "SELECT count(*) FROM customers_tag WHERE color = %s AND name = %s"
    was, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        for n in range(6):
            with batch.batched():
                assert batch.send(statement, ["#000000", f"批{n}"]).row() == (0,)
    finally:
        raw.prepare_threshold = was
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%customers_tag WHERE color = $1 AND name = $2%"],
        )
        assert cur.fetchone() == (0,)


@postgres_only
def test_queued_statements_are_logged_like_others() -> None:
    with CaptureQueriesContext(connection) as seen, batch.batched():
        batch.send(INSERT_TAG, ["批八", "#000000"])
    assert any("批八" in q["sql"] and "INSERT INTO customers_tag" in q["sql"] for q in seen)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite runs statements at once")
def test_on_sqlite_a_statement_in_a_batch_runs_at_once() -> None:
    with batch.batched():
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
    with batch.batched():
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
        with batch.batched():
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
    # Reads: card, programme with window, membership, reference, keys. Writes: purchase, line,
    # card totals, audit, growth, points entry, lot, the membership row once (figures, balance).
    assert len(flushes) == 2 and flushes[0] == 5 and flushes[1] == 8, flushes


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
    with batch.batched():
        WindowState.objects.filter(pk=1).delete()
        assert membership_later(customer.pk)() is None
        WindowState.objects.create(pk=1, window_start="2026-01-01", spec={})
        found = membership_later(customer.pk)()
        assert isinstance(found, Membership) and found.customer_id == customer.pk
        transaction.set_rollback(True)


@pytest.mark.parametrize(("value", "shown"), [("off", "None"), ("", "5"), ("on", "5")])
def test_tiercard_pg_prepare_off_reaches_the_connection_options(
    value: str, shown: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TIERCARD_PG_PREPARE"}
    env.update(
        DATABASE_URL="postgresql://someone@127.0.0.1:5432/somewhere",
        TIERCARD_PG_PREPARE=value,
        TIERCARD_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="tiercard.settings",
    )
    shown_by = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; "
            "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown_by.stdout.strip() == shown


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the direct sqlite3 path is SQLite's"
)


def _through_django_cursor(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements that go through Django's SQLite cursor from now on."""
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    seen: list[str] = []
    original = SQLiteCursorWrapper.execute

    def spy(self: Any, query: str, params: Any = None) -> Any:
        seen.append(query)
        return original(self, query, params)

    monkeypatch.setattr(SQLiteCursorWrapper, "execute", spy)
    return seen


@sqlite_only
def test_on_sqlite_send_goes_to_sqlite3_itself_and_is_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection.ensure_connection()
    via_django = _through_django_cursor(monkeypatch)
    with CaptureQueriesContext(connection) as seen:
        sent = batch.send("SELECT 'a%%b', %s, %s", [7, "批"])
        batch.send(INSERT_TAG, ["批直", "#000000"])
    assert sent.rows() == [("a%b", 7, "批")]  # placeholders and %% converted as Django does
    assert via_django == []
    assert Tag.objects.filter(name="批直").exists()
    logged = [q["sql"] for q in seen.captured_queries]
    assert logged[0] == "SELECT 'a%b', 7, '批'"  # with its parameters, as Django logs them
    assert "'批直'" in logged[1] and "INSERT INTO customers_tag" in logged[1]


@sqlite_only
def test_on_sqlite_an_execute_wrapper_still_sees_what_send_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection.ensure_connection()
    via_django = _through_django_cursor(monkeypatch)
    wrapped: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        wrapped.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        batch.send(INSERT_TAG, ["批包", "#000000"])
    assert wrapped == [INSERT_TAG] and via_django == [INSERT_TAG]
    assert Tag.objects.filter(name="批包").exists()


@sqlite_only
def test_on_sqlite_a_failing_send_raises_django_s_error_and_keeps_nothing() -> None:
    Tag.objects.create(name="批重")

    def new_then_taken() -> None:
        with transaction.atomic():
            batch.send(INSERT_TAG, ["批新", "#000000"])
            batch.send(INSERT_TAG, ["批重", "#000000"])  # the name is unique

    with pytest.raises(IntegrityError):
        new_then_taken()
    assert _names() == ["批重"]


@sqlite_only
def test_on_sqlite_send_refuses_to_run_in_a_broken_transaction() -> None:
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            batch.send("INSERT INTO customers_tag (name, color) VALUES (NULL, '#000000')")
        connection.needs_rollback = True  # what atomic() sets when an error leaves a savepoint
        with pytest.raises(transaction.TransactionManagementError):
            batch.send(INSERT_TAG, ["批断", "#000000"])
        connection.needs_rollback = False
    assert not Tag.objects.filter(name="批断").exists()
