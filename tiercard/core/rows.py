"""Single-row INSERT and UPDATE for hot write paths, without the ORM's per-statement compiling.

``Model.objects.create`` compiles its SQL anew on every call (about 0.2–0.4 ms of Python per
statement); a purchase writes a dozen rows, so on the checkout path the compiling cost more
than the database work. These helpers build each statement's SQL once per model and column
set, then only convert the values (``Field.get_db_prep_save``, the same conversion ``save()``
uses), so the stored values are exactly what the ORM would have stored. For the plain columns
(integers, keys, text, booleans, money, dates and times of Django's own field classes) a short
conversion is checked once per column against the field's on a sample value: a value of
exactly that type then takes it (none, psycopg's integer wrapper, or the backend's adapter)
without the field's call chain; anything else still goes through ``get_db_prep_save``.

Contract: no signals are sent (the project puts no logic in signals), no ``full_clean`` runs
(services validate before writing), and the caller is inside the transaction it needs.
Models with multi-table inheritance are not supported.

Inside ``core.batch.batched()`` on PostgreSQL, ``reserve`` draws primary keys beforehand, so an
``insert`` that finds one reserved for its model is sent with it without waiting for
``RETURNING``; ``update_later`` and ``select_later`` do not wait either. The keys are drawn from the
tables' own sequences, by the statement that follows the row locks the caller took in the same
batch: rows written under one lock keep the order of their keys.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from tiercard.core import batch

M = TypeVar("M", bound=models.Model)

_sql: dict[tuple[Any, ...], tuple[str, tuple[Any, ...], bool]] = {}
_lock = threading.Lock()

# Field classes whose conversion of a value of the sample's exact type is fixed: checked per
# column in ``_plain`` by converting the sample both ways.
_SAMPLES: dict[type[models.Field[Any, Any]], object] = {
    models.AutoField: 1,
    models.BigAutoField: 1,
    models.SmallAutoField: 1,
    models.IntegerField: 1,
    models.BigIntegerField: 1,
    models.SmallIntegerField: 1,
    models.PositiveIntegerField: 1,
    models.PositiveBigIntegerField: 1,
    models.PositiveSmallIntegerField: 1,
    models.CharField: "x",
    models.TextField: "x",
    models.EmailField: "x",
    models.SlugField: "x",
    models.BooleanField: True,
    models.DecimalField: Decimal("12.30"),
    models.DateField: dt.date(2026, 1, 2),
    models.DateTimeField: dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
}


class _Column:
    """How one field's value is read off an instance and converted for the database."""

    __slots__ = ("attname", "convert", "exact", "field")

    def __init__(self, field: models.Field[Any, Any], db: BaseDatabaseWrapper) -> None:
        self.field = field
        self.attname = field.attname
        self.exact, self.convert = _plain(field, db)

    def value(self, obj: models.Model, add: bool, db: BaseDatabaseWrapper) -> Any:
        """``field.get_db_prep_save(field.pre_save(obj, add), db)``, the short way when it can."""
        if self.exact is None:
            return self.field.get_db_prep_save(self.field.pre_save(obj, add), db)
        value = getattr(obj, self.attname)
        if type(value) is not self.exact:
            return self.field.get_db_prep_save(value, db)
        return value if self.convert is None else self.convert(value, db)


def _plain(
    field: models.Field[Any, Any], db: BaseDatabaseWrapper
) -> tuple[type | None, Callable[[Any, BaseDatabaseWrapper], Any] | None]:
    """For a plain column: the exact type of value that can skip the field's conversion and
    what stands in for it, a function of the value and the connection (``None``: the value
    goes as it is); ``(None, None)`` otherwise.

    Plain: ``pre_save`` only reads the attribute (not an ``auto_now`` date), and the short
    conversion gives the sample the value and type ``get_db_prep_save`` gives it. Values the
    field would refuse or change (a non-finite Decimal, a naive datetime, which Django makes
    aware with a warning) are handed to the field.
    """
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    sample = _SAMPLES.get(type(target))
    if sample is None or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None, None
    if target is not field and not isinstance(sample, int | str):
        return None, None  # a key to a date or money column: left to the field
    if type(field).pre_save not in _PLAIN_PRE_SAVE:
        return None, None
    convert = _short_conversion(field, sample, db)
    if convert is _REFUSED:
        return None, None
    try:
        expected = field.get_db_prep_save(sample, db)
        got = sample if convert is None else convert(sample, db)
    except Exception:  # e.g. aware datetimes on SQLite without USE_TZ: no short way
        return None, None
    if type(got) is not type(expected) or got != expected:
        return None, None
    return type(sample), convert


# ``pre_save`` that returns the attribute (dates: unless ``auto_now``/``auto_now_add``).
_PLAIN_PRE_SAVE = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)


def _short_conversion(
    field: models.Field[Any, Any], sample: object, db: BaseDatabaseWrapper
) -> Any:
    """The conversion to try for ``field``: ``None`` (the value as it is), a function of the
    value and the connection, or ``_REFUSED``."""
    if isinstance(sample, dt.datetime):
        return lambda v, db: (
            db.ops.adapt_datetimefield_value(v)
            if v.tzinfo is not None
            else field.get_db_prep_save(v, db)
        )
    if isinstance(sample, dt.date):
        return lambda v, db: db.ops.adapt_datefield_value(v)
    if isinstance(sample, Decimal):
        digits, places = field.max_digits, field.decimal_places  # type: ignore[attr-defined]
        return lambda v, db: (
            db.ops.adapt_decimalfield_value(v, digits, places)
            if v.is_finite()
            else field.get_db_prep_save(v, db)
        )
    converted = field.get_db_prep_save(sample, db)
    if converted is sample:
        return None
    if isinstance(converted, int) and converted == sample:
        # psycopg's integer types (Django wraps integers in them on PostgreSQL): same value.
        wrap = type(converted)
        return lambda v, db: wrap(v)
    return _REFUSED


_REFUSED = object()


def _db() -> BaseDatabaseWrapper:
    """This thread's default connection itself. Not the ``django.db.connection`` proxy: each
    attribute read through the proxy looks the connection up again in a context-local store,
    and converting a purchase's values read it some ninety times (~0.3 ms)."""
    return connections[DEFAULT_DB_ALIAS]


def _insert_sql(
    model: type[models.Model], db: BaseDatabaseWrapper, *, with_pk: bool = False
) -> tuple[str, tuple[Any, ...], bool]:
    """The INSERT for every concrete column but an auto primary key; whether it returns it.
    ``with_pk``: the primary key's column too (a key given beforehand), returning nothing."""
    key = ("insert", db.vendor, model, with_pk)
    cached = _sql.get(key)
    if cached is not None:
        return cached
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    auto = not with_pk and isinstance(
        pk, models.AutoField | models.BigAutoField | models.SmallAutoField
    )
    fields = tuple(f for f in meta.concrete_fields if not (auto and f is pk))
    quote = db.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (model metadata only)
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if auto:
        sql += f" RETURNING {quote(pk.column)}"
    built = (sql, tuple(_Column(f, db) for f in fields), auto)
    with _lock:
        _sql[key] = built
    return built


def reserve(counts: Mapping[type[models.Model], int]) -> None:
    """Draw ``counts[model]`` primary keys for each model's next inserts in the open batch
    (PostgreSQL; a no-op elsewhere or outside a batch). Replaces an earlier reservation.

    One statement for all of them, sent like the rest of the batch. Keys left unused are
    gaps in the sequence, as a rolled-back insert leaves.
    """
    open_batch = batch.current()
    if open_batch is None or not counts:
        return
    models_ = [m for m, n in counts.items() if n > 0]
    if not models_:
        open_batch.reserved = {}
        return
    names = _sequences(models_)
    parts: list[str] = []
    params: list[object] = []
    for model in models_:
        if counts[model] == 1:
            parts.append("nextval(%s::regclass)")
            params.append(names[model])
        else:
            parts.append("ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))")
            params += [names[model], counts[model]]
    sent = batch.send("SELECT " + ", ".join(parts), params)
    open_batch.reserved = {model: (sent, i, []) for i, model in enumerate(models_)}


def _sequences(wanted: Sequence[type[models.Model]]) -> dict[type[models.Model], str]:
    """The sequence behind each model's primary key, looked up once per process and database
    (``pg_get_serial_sequence`` reads the catalogue: ~0.1 ms a call on the purchase path)."""
    db = _db()
    where = (db.alias, db.settings_dict["NAME"])
    missing = [m for m in wanted if (where, m) not in _sequence_names]
    if missing:
        quote = db.ops.quote_name
        params: list[str] = []
        for model in missing:
            pk = model._meta.pk
            assert pk is not None
            params += [quote(model._meta.db_table), pk.column]
        calls = ", ".join(["pg_get_serial_sequence(%s, %s)"] * len(missing))
        found = batch.send(f"SELECT {calls}", params).row()
        assert found is not None and all(found), found
        with _lock:
            _sequence_names.update(
                {(where, m): str(n) for m, n in zip(missing, found, strict=True)}
            )
    return {m: _sequence_names[(where, m)] for m in wanted}


_sequence_names: dict[tuple[Any, type[models.Model]], str] = {}


def _reserved_pk(model: type[models.Model]) -> int | None:
    open_batch = batch.current()
    if open_batch is None:
        return None
    found = open_batch.reserved.get(model)
    if found is None:
        return None
    sent, index, used = found
    drawn = sent.row()[index]
    keys = drawn if isinstance(drawn, list) else [drawn]
    if len(used) >= len(keys):
        return None
    key = int(keys[len(used)])
    used.append(key)
    return key


def insert(obj: M) -> M:
    """INSERT ``obj`` as ``obj.save(force_insert=True)`` would, and set its primary key.

    Field defaults were applied when the instance was built; ``pre_save`` fills
    ``auto_now``/``auto_now_add`` fields as ``save()`` does. In a batch with a key reserved
    for the model (``reserve``), the row is sent with that key, without waiting.
    """
    db = _db()
    reserved = _reserved_pk(type(obj)) if obj.pk is None else None
    if reserved is not None:
        obj.pk = reserved
    sql, columns, returns_pk = _insert_sql(type(obj), db, with_pk=reserved is not None)
    sent = batch.send(sql, [c.value(obj, True, db) for c in columns], db=db)
    if returns_pk:  # no key reserved: wait for the one the database gives
        obj.pk = sent.rows()[0][0]
    obj._state.adding = False
    obj._state.db = db.alias
    return obj


def insert_many(objs: Sequence[models.Model]) -> None:
    """``insert`` each of ``objs`` (same model); one prepared statement, one round trip each."""
    for obj in objs:
        insert(obj)


def _update_sql(
    model: type[models.Model], names: tuple[str, ...], db: BaseDatabaseWrapper
) -> tuple[str, tuple[Any, ...], bool]:
    key = ("update", db.vendor, model, names)
    cached = _sql.get(key)
    if cached is not None:
        return cached
    meta = model._meta
    quote = db.ops.quote_name
    fields = tuple(_concrete(meta.get_field(name)) for name in names)
    pk = meta.pk
    assert pk is not None
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (model metadata only)
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(pk.column),
    )
    built = (sql, tuple(_Column(f, db) for f in fields), False)
    with _lock:
        _sql[key] = built
    return built


def update_later(obj: models.Model, names: Sequence[str]) -> None:
    """``update_fields``, streamed in the open batch (run at once outside one); the row must
    exist: a missing row raises when the batch runs the statement."""
    db = _db()
    sql, columns, _ = _update_sql(type(obj), tuple(names), db)
    params = [c.value(obj, False, db) for c in columns]
    params.append(obj.pk)
    batch.send(sql, params, expect=1, db=db)


def _concrete(field: object) -> models.Field[Any, Any]:
    assert isinstance(field, models.Field) and field.concrete, field
    return field


def update_fields(obj: models.Model, names: Sequence[str]) -> int:
    """UPDATE the named fields of ``obj``'s row to the instance's values, as
    ``obj.save(update_fields=names)`` would; returns the number of rows changed (0 or 1)."""
    db = _db()
    sql, columns, _ = _update_sql(type(obj), tuple(names), db)
    params = [c.value(obj, False, db) for c in columns]
    params.append(obj.pk)
    return batch.send(sql, params, db=db).rowcount


def _select_sql(
    model: type[models.Model],
    names: tuple[str, ...],
    lock: bool,
    db: BaseDatabaseWrapper,
    only_if: str = "",
) -> tuple[str, tuple[Any, ...], bool]:
    key = ("select", db.vendor, model, names, lock, only_if)
    cached = _sql.get(key)
    if cached is not None:
        return cached
    meta = model._meta
    quote = db.ops.quote_name
    wanted = {meta.get_field(name) for name in names}
    # In the model's field order: ``Model.from_db`` takes a partial row's values in that order.
    fields = [f for f in meta.concrete_fields if f in wanted]
    pk = meta.pk
    assert pk is not None
    # Each column's converters, found as the ORM's compiler finds them (backend first, then
    # the field's own ``from_db_value``): the instance gets exactly what ``.get()`` would give.
    converters = []
    for f in fields:
        col = f.get_col(meta.db_table)
        converters.append(
            (
                f.attname,
                col,
                tuple(db.ops.get_db_converters(col)) + tuple(col.get_db_converters(db)),
            )
        )
    sql = "SELECT {} FROM {} WHERE {} = %s".format(  # noqa: S608 (model metadata only)
        ", ".join(quote(f.column) for f in fields),
        quote(meta.db_table),
        quote(pk.column),
    )
    if only_if:
        sql += f" AND {only_if}"
    if lock and db.features.has_select_for_update:
        sql += " FOR UPDATE"
    built = (sql, tuple(converters), False)
    with _lock:
        _sql[key] = built
    return built


def select(model: type[M], pk: object, names: Sequence[str], *, lock: bool = False) -> M | None:
    """The row ``pk`` with only ``names`` loaded (others deferred), as ``.only(*names)`` would
    return it; ``None`` when there is none. ``lock``: ``FOR UPDATE`` where the database has it
    (SQLite's IMMEDIATE transaction already holds the write lock)."""
    return select_later(model, pk, names, lock=lock)()


def select_later(
    model: type[M], pk: object, names: Sequence[str], *, lock: bool = False, only_if: str = ""
) -> Callable[[], M | None]:
    """``select``, sent now (streamed in an open batch); the returned function gives the row.

    ``only_if``: a constant SQL condition added to the lookup (no row, and no lock, when it
    is false)."""
    if isinstance(pk, int) and not -(2**63) <= pk < 2**63:
        return lambda: None  # no row has it (the ORM says the same for an out-of-range lookup)
    db = _db()
    sql, converters, _ = _select_sql(model, tuple(names), lock, db, only_if)
    sent = batch.send(sql, [pk], db=db)
    return lambda: _loaded(model, converters, sent.row(), db)


def _loaded(
    model: type[M],
    converters: tuple[Any, ...],
    found: tuple[Any, ...] | None,
    db: BaseDatabaseWrapper,
) -> M | None:
    if found is None:
        return None
    values = []
    for value, (_, col, funcs) in zip(found, converters, strict=True):
        for func in funcs:
            value = func(value, col, db)
        values.append(value)
    return model.from_db(db.alias, [name for name, _, _ in converters], values)
