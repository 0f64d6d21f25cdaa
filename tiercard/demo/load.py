"""Load demo data: plan, generate chunks (in worker processes when large), bulk-write them.

Memory stays bounded: at most a few chunks (2,000 customers each, with their purchases) are in
flight between the generator processes and the writer. Each chunk is one transaction.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, models, transaction

from tiercard.core import suspend
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.demo import writer
from tiercard.demo.generator import Generator, today_in
from tiercard.demo.plan import Plan
from tiercard.demo.records import TABLE_KEYS, ChunkRows
from tiercard.demo.staff import ensure_demo_staff, ensure_demo_tags
from tiercard.demo.tables import Table, resolve_tables, tag_link_model
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase, PurchaseLine

PURCHASES_PER_CUSTOMER = 10
INLINE_BELOW = 6  # chunks; smaller loads are generated in this process
SUSPEND_FROM_CHUNKS = 10  # loads of 20,000 customers and more rebuild indexes at the end


class DemoDataExists(Exception):
    """The database already holds customers; demo data is only added to an empty one."""

    def __init__(self, customers: int) -> None:
        super().__init__(customers)
        self.customers = customers


@dataclass
class LoadReport:
    plan: Plan
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_KEYS, 0))
    seconds: float = 0.0
    workers: int = 0
    created_users: tuple[str, ...] = ()
    peak_rss_mb: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # "writer" / "generators"
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds per phase

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


Progress = Callable[[LoadReport], None]


def load_demo(
    *,
    customers: int,
    purchases: int | None = None,
    seed: int = 1,
    reset: bool = False,
    as_of: dt.date | None = None,
    workers: int | None = None,
    suspend_indexes: bool | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Write ``customers`` demo customers with ``purchases`` purchases (default 10 each).

    Refuses (``DemoDataExists``) when customers exist, unless ``reset`` first empties the
    customer tables. Demo users and tags are created when missing. The same seed and ``as_of``
    date (default: today in the business time zone) give the same rows.

    On PostgreSQL the whole load is one transaction. On SQLite each chunk commits on its own
    (the packed chunks can only be attached outside a transaction). Big loads set secondary
    indexes aside and rebuild them at the end (``suspend_indexes``, default: from
    ``SUSPEND_FROM_CHUNKS`` chunks on).
    """
    if customers < 0 or (purchases is not None and purchases < 0):
        raise ValueError("sizes must not be negative")
    started = time.perf_counter()
    cpu_before = _cpu_seconds({})
    suspend.restore_suspended()  # an earlier SQLite load may have been interrupted
    staff = ensure_demo_staff()
    tag_ids = ensure_demo_tags()
    one_transaction = connection.vendor == "postgresql"
    with transaction.atomic() if one_transaction else nullcontext():
        if one_transaction:
            _check_foreign_keys_per_statement()
        if not reset:
            existing = Customer.objects.count()
            if existing:
                raise DemoDataExists(existing)
        if reset or one_transaction:
            # On PostgreSQL also when the tables are empty already: tables truncated in the
            # loading transaction need no WAL on a server with wal_level=minimal.
            writer.delete_customer_data()
        plan = Plan(
            seed=seed,
            customers=customers,
            purchases=customers * PURCHASES_PER_CUSTOMER if purchases is None else purchases,
            as_of=as_of or today_in(settings.TIERCARD_TIME_ZONE),
            time_zone=settings.TIERCARD_TIME_ZONE,
            backend=writer.backend(),
            staff=staff.staff,
            tag_ids=tag_ids,
            customer_id_base=writer.next_id(Customer),
            purchase_id_base=writer.next_id(Purchase),
            contact_id_base=writer.next_id(Contact),
        )
        report = LoadReport(plan=plan, created_users=staff.created)
        report.workers = _worker_count(plan, workers)
        if suspend_indexes is None:
            suspend_indexes = plan.chunk_count >= SUSPEND_FROM_CHUNKS
        report.phases["prepare"] = time.perf_counter() - started
        _write(plan, report, started, suspend_indexes, progress)
    mark = time.perf_counter()
    writer.analyze(loaded_models())
    report.phases["analyze"] = time.perf_counter() - mark
    report.seconds = time.perf_counter() - started
    report.peak_rss_mb = _peak_rss_mb()
    report.cpu_seconds = _cpu_seconds(cpu_before)
    return report


def loaded_models() -> list[type[models.Model]]:
    return [Customer, Contact, ContactPoint, Purchase, PurchaseLine, Interaction, tag_link_model()]


def _write(
    plan: Plan,
    report: LoadReport,
    started: float,
    suspend_indexes: bool,
    progress: Progress | None,
) -> None:
    tables = resolve_tables(connection)
    mode = _mode(plan, report.workers)
    sink: writer.SqliteWriter | writer.SqliteAttachWriter | writer.PostgresWriter
    if mode == "copy":
        sink = writer.PostgresWriter(tables)
    elif mode == "attach":
        sink = writer.SqliteAttachWriter(tables)
    else:
        sink = writer.SqliteWriter(tables)
    with _bulk_session():
        suspended = suspend.suspend(t.db_table for t in tables) if suspend_indexes else []
        mark = time.perf_counter()
        try:
            with sink:
                for counts, payload in _chunks(plan, tables, report.workers, mode):
                    sink.write(payload)  # type: ignore[arg-type]
                    for key, n in counts.items():
                        report.counts[key] += n
                    report.seconds = time.perf_counter() - started
                    if progress:
                        progress(report)
            report.phases["rows"] = time.perf_counter() - mark
        finally:
            # SQLite has committed chunks: the indexes must come back whatever happened.
            # PostgreSQL rolls the whole load back on an error, dropped definitions included.
            mark = time.perf_counter()
            if connection.vendor == "sqlite":
                suspend.restore_suspended()
        if suspended and connection.vendor == "postgresql":
            suspend.restore(suspended)
        report.phases["indexes"] = time.perf_counter() - mark
    writer.reset_sequences(loaded_models())


def _check_foreign_keys_per_statement() -> None:
    """PostgreSQL: check foreign keys as each COPY ends instead of queueing every row's check
    until the load commits (memory would grow with the load)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _worker_count(plan: Plan, requested: int | None) -> int:
    if requested is not None:
        return max(0, requested)
    if plan.chunk_count < INLINE_BELOW or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return max(1, min(os.cpu_count() or 1, 4))


def _mode(plan: Plan, workers: int) -> str:
    """How chunks travel: COPY text (PostgreSQL), packed SQLite databases, or Python rows.

    Attaching a database is impossible inside a transaction (as in tests), and packing only
    pays off when other processes do it.
    """
    if plan.backend == "postgresql":
        return "copy"
    if workers > 0 and not connection.in_atomic_block:
        return "attach"
    return "rows"


class _bulk_session:
    """SQLite only, outside any transaction: no fsync and no FK bookkeeping during the load.

    The rows are generated consistent (every reference points at a row written earlier in the
    same chunk or at an existing user); the tests check the foreign keys of a loaded demo.
    """

    def __enter__(self) -> None:
        self.active = connection.vendor == "sqlite" and not connection.in_atomic_block
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self.cache_size = int(cursor.fetchone()[0])
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA foreign_keys=OFF")
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB while loading

    def __exit__(self, *exc: object) -> None:
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={self.cache_size}")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")


Payload = ChunkRows | writer.Encoded | bytes


@dataclass(frozen=True)
class _Job:
    plan: Plan
    tables: tuple[Table, ...]
    mode: str
    suffixes: dict[str, str]


def _chunks(
    plan: Plan, tables: tuple[Table, ...], workers: int, mode: str
) -> Iterator[tuple[dict[str, int], Payload]]:
    job = _Job(plan, tables, mode, {t.key: writer.copy_suffix(t) for t in tables})
    if workers == 0:
        generator = Generator(plan)
        for index in range(plan.chunk_count):
            yield _payload(generator.chunk(index), job)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(job,)
    ) as pool:
        pending: deque[Future[tuple[dict[str, int], Payload]]] = deque()
        submitted = 0
        while submitted < plan.chunk_count and len(pending) < workers * 2:
            pending.append(pool.submit(_work, submitted))
            submitted += 1
        while pending:
            result = pending.popleft().result()
            if submitted < plan.chunk_count:
                pending.append(pool.submit(_work, submitted))
                submitted += 1
            yield result


def _payload(chunk: ChunkRows, job: _Job) -> tuple[dict[str, int], Payload]:
    if job.mode == "copy":
        return chunk.counts(), writer.encode_chunk(chunk, job.tables, job.suffixes)
    if job.mode == "attach":
        return chunk.counts(), writer.pack_sqlite(chunk, job.tables)
    return chunk.counts(), chunk


_WORKER: tuple[Generator, _Job] | None = None


def _init_worker(job: _Job) -> None:
    global _WORKER
    _WORKER = (Generator(job.plan), job)


def _work(index: int) -> tuple[dict[str, int], Payload]:
    assert _WORKER is not None
    generator, job = _WORKER
    return _payload(generator.chunk(index), job)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process and of the largest generator process, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return max(own, children) * scale / 2**20


def _cpu_seconds(before: dict[str, float]) -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    now = {
        "writer": own.ru_utime + own.ru_stime,
        "generators": children.ru_utime + children.ru_stime,
    }
    return {key: value - before.get(key, 0.0) for key, value in now.items()}
