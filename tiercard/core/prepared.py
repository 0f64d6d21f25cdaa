"""Reads of a fixed shape whose SQL is compiled once: ``Prepared(build).rows(value)``.

Django builds and compiles a queryset's SQL on every evaluation (a clone per filter, lookups
resolved, columns and joins selected, ORDER BY resolved): 0.3-0.6 ms of Python per query,
several times the database's own work for the card's small indexed reads, of which the card
makes a dozen. ``Prepared`` builds the queryset once with a marker in place of the one value
that changes (a customer id), keeps the compiled statement and the compiler's description of
its columns, and on each call substitutes the value, runs the statement and makes the
instances as ``QuerySet.__iter__`` does (``Model.from_db``, the ``select_related``
populators, the backend's converters), then runs the queryset's ``prefetch_related``.

Contract: ``build(value)`` returns a plain model queryset (no ``values()``, annotations,
``select_for_update`` or deferred fields) whose SQL takes ``value`` as a parameter exactly
where the marker appears (or, with ``fixed=True``, a read without such a value); anything
else falls back to evaluating ``build(value)`` as usual. Statements are kept per
database connection (a thread's own), so they always run, and convert, on the connection that
compiled them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

M = TypeVar("M", bound=models.Model)

_lock = threading.Lock()

MARKER = -4_611_686_018_427_387_277
"""Stands for the value while the statement is compiled; no row has this id."""


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where the value goes among ``params``
    compiler: Any
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]
    converters: dict[int, Any]
    prefetches: tuple[Any, ...]


class Prepared(Generic[M]):
    """One read shape; see the module docstring."""

    def __init__(self, build: Callable[[int], QuerySet[M]], *, fixed: bool = False) -> None:
        """``fixed``: ``build`` ignores its value (a read without parameters that change);
        otherwise a statement in which the marker is not found is not kept (the queryset is
        evaluated instead), so a value can never be left out by mistake."""
        self._build = build
        self._fixed = fixed
        self._statements: weakref.WeakKeyDictionary[Any, _Statement | None] = (
            weakref.WeakKeyDictionary()
        )

    def _statement(self, connection: Any) -> _Statement | None:
        with _lock:
            if connection in self._statements:
                return self._statements[connection]
        qs = self._build(MARKER)
        compiler = qs.query.get_compiler(using=DEFAULT_DB_ALIAS)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # matches nothing whatever the value (an empty scope)
            with _lock:
                self._statements[connection] = None
            return None
        # The backend may wrap an integer (psycopg's Int8 for a bigint column): an int still.
        slots = tuple(
            n
            for n, p in enumerate(params)
            if isinstance(p, int) and not isinstance(p, bool) and p == MARKER
        )
        klass_info = compiler.klass_info
        plain = (
            bool(slots) != self._fixed
            and qs._iterable_class is models.query.ModelIterable
            and klass_info is not None
            and not compiler.annotation_col_map
            and not qs.query.deferred_loading[0]
            and not qs.query.select_for_update
        )
        statement = None
        if plain:
            select = compiler.select
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            statement = _Statement(
                sql=sql,
                params=tuple(params),
                slots=slots,
                compiler=compiler,
                init_list=[f[0].target.attname for f in select[start:end]],
                start=start,
                end=end,
                populators=get_related_populators(klass_info, select, DEFAULT_DB_ALIAS),
                converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
                prefetches=tuple(qs._prefetch_related_lookups),  # type: ignore[attr-defined]
            )
        with _lock:  # threads each compile for their own connection; the table is shared
            self._statements[connection] = statement
        return statement

    def rows(self, value: int) -> list[M]:
        """What ``list(build(value))`` returns."""
        connection = connections[DEFAULT_DB_ALIAS]
        statement = self._statement(connection)
        if statement is None:
            return list(self._build(value))
        params = list(statement.params)
        for slot in statement.slots:
            params[slot] = type(params[slot])(value)  # in the backend's wrapper, if any
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            fetched = cursor.fetchall()
        if statement.converters:
            fetched = list(statement.compiler.apply_converters(fetched, statement.converters))
        model = statement.compiler.klass_info["model"]
        found: list[M] = []
        for row in fetched:
            obj = model.from_db(
                DEFAULT_DB_ALIAS, statement.init_list, row[statement.start : statement.end]
            )
            for populator in statement.populators:
                populator.populate(row, obj)
            found.append(obj)
        if statement.prefetches and found:
            prefetch_related_objects(found, *statement.prefetches)
        return found
