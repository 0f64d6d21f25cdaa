"""Reads of the member table: scoped, filtered, sorted and keyset-paged customer rows.

Invariants:
- every row comes from ``visible_customers(viewer)``: a rep's table holds only their customers;
- a page costs one indexed range scan whatever its position: the cursor carries the sort value
  and the id of the row it continues from, never an offset; nothing counts the whole table
  (``table_count`` stops at ``COUNT_CAP``);
- each sort has one direction and a matching index (see the ``0002`` migration), and the
  ordering is total (the id breaks ties), so paging forwards and back never skips or repeats;
- a sort over a column that may be empty (last purchase, a figure from the membership row a
  customer gets on first activity) is read as two segments: the rows holding a value, in the
  index's order, then the rows without one, newest id first. Each segment is a plain
  ``IS NOT NULL`` / ``IS NULL`` scan, so neither SQLite nor PostgreSQL needs a NULLS LAST sort
  to put the empty ones at the end, and the membership sorts can walk the membership index;
- a customer without a membership row holds the lowest tier with zero figures;
- a membership sort over every tier reads the ranges of its ``(tier, value, id)`` index, one per
  tier of the active ladder, and merges them: the membership has no index on a sort value alone
  (every index of the row is written again by each purchase, roll and review). Every
  membership holds a tier of the active ladder (applying a ladder moves them all at once).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.accounts.policy import SEE_ALL
from tiercard.core.timeutils import business_today, local_day_bounds
from tiercard.customers.models import Customer, Tag
from tiercard.customers.scope import Scope, scope_of
from tiercard.customers.selectors import search_condition, visible_customers, with_status
from tiercard.interactions.models import Interaction
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.ladder import Ladder

COUNT_CAP = 1000
"""Counting stops here ("more than 1,000"): a count costs as many rows as it counts, and a
filter matching a few percent of a million customers would read hundreds of thousands of
rows to reach 10,000."""
WINDOWS = (250, 1000, 4000, 16000, 64000)
"""Keys read from a sort's index per probe when filters or the scope narrow the table: each
probe looks four times further, so a page costs at most about twice the rows an ideal ordered
scan would read, and a selective filter falls back to its own index after 85,250 keys. The
first probe is small because each key read is then a row fetched and tested: a tier in a
city (a quarter of the keys of that city's index) fills a page from 250 keys."""
PAGE_SIZES = (25, 50, 100)
MAX_ROWS_PER_READ = 2000


# --- Columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    sort: str | None = None  # the sort this column's header switches to
    default: bool = True
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", _("Name"), sort="name"),
    Column("phone", _("Phone")),
    Column("registered", _("Registered"), sort="recent"),
    Column("frequency", _("Purchase frequency"), sort="win_orders", numeric=True),
    Column("win_spend", _("Spend (window)"), sort="win_spend", numeric=True),
    Column("total_spend", _("Total spend"), sort="spend", default=False, numeric=True),
    Column("orders", _("Orders (all time)"), sort="orders", default=False, numeric=True),
    Column("points", _("Points"), sort="points", numeric=True),
    Column("tier", _("Tier")),
    Column("service", _("Service record"), sort="last_contact"),
    Column("campaigns", _("Campaign participation"), default=False),
    Column("owner", _("Account manager")),
    Column("last_purchase", _("Last purchase"), sort="last_purchase"),
    Column("city", _("City"), default=False),
    Column("status", _("Status")),
    Column("tags", _("Tags")),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
DEFAULT_COLUMNS = tuple(c.key for c in COLUMNS if c.default)
ALWAYS_SHOWN = ("name",)

ParticipationSource = Callable[[Sequence[int]], dict[int, str]]
PARTICIPATION_SOURCES: list[ParticipationSource] = []
"""The hook for campaign participation (营销活动参与情况). No campaign records exist yet, so the
column is not offered. A campaigns app registers here a function from customer ids to a short
summary per customer (e.g. "3 次 · 最近 2025-05 春季促销"); from then on the column can be
chosen, and its values come only from that function: nothing is made up meanwhile."""


def available_columns() -> tuple[Column, ...]:
    """Columns a user may choose now: campaign participation only once a source exists."""
    return tuple(c for c in COLUMNS if c.key != "campaigns" or PARTICIPATION_SOURCES)


def clean_columns(keys: Sequence[str]) -> tuple[str, ...]:
    """Known, available columns in the table's own order; the name is always shown."""
    wanted = set(keys) | set(ALWAYS_SHOWN)
    return tuple(c.key for c in available_columns() if c.key in wanted)


# --- Sorts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    """One ordering: ``value`` then ``tie`` (the customer id, as the index holding ``value``
    names it), both descending unless ``ascending``. ``nullable`` sorts read in two segments."""

    label: str | Promise
    value: str
    kind: str  # "date" | "datetime" | "decimal" | "int" | "str": how the cursor holds it
    tie: str = "id"
    ascending: bool = False
    nullable: bool = False

    def order(self, *, reverse: bool = False) -> list[str]:
        down = not self.ascending if not reverse else self.ascending
        sign = "-" if down else ""
        return [sign + self.value, sign + self.tie]

    def beyond(self, value: Any, pk: int, *, reverse: bool = False) -> Q:
        """Rows strictly after ``(value, pk)`` in this order (before it when ``reverse``).

        Written as ``value ≤ v AND (value < v OR tie < pk)`` (for a descending order): the
        first term is a range both databases read from the sort's index; the bare
        ``value < v OR (value = v AND tie < pk)`` made SQLite scan the table."""
        later = self.ascending != reverse
        op, op_eq = ("gt", "gte") if later else ("lt", "lte")
        return Q(**{f"{self.value}__{op_eq}": value}) & (
            Q(**{f"{self.value}__{op}": value}) | Q(**{f"{self.tie}__{op}": pk})
        )


SORTS: dict[str, Sort] = {
    "recent": Sort(_("Newest registrations"), "registered_on", "date"),
    "name": Sort(_("Name (pinyin)"), "name_pinyin", "str", ascending=True),
    "spend": Sort(_("Total spend"), "total_spend", "decimal"),
    "orders": Sort(_("Orders (all time)"), "order_count", "int"),
    "last_purchase": Sort(_("Last purchase"), "last_purchase_at", "datetime", nullable=True),
    "last_contact": Sort(_("Last contact"), "last_interaction_at", "datetime", nullable=True),
    "points": Sort(
        _("Points balance"),
        "membership__points_balance",
        "int",
        tie="membership__customer_id",
        nullable=True,
    ),
    "win_spend": Sort(
        _("Spend in the window"),
        "membership__win_spend",
        "decimal",
        tie="membership__customer_id",
        nullable=True,
    ),
    "win_orders": Sort(
        _("Orders in the window"),
        "membership__win_orders",
        "int",
        tie="membership__customer_id",
        nullable=True,
    ),
}
DEFAULT_SORT = "recent"


# --- Filters and the whole view -------------------------------------------------------------


def _narrowing(value: object) -> bool:
    """Whether a filter value narrows: not empty, not None, not an unticked box. (Not ``in
    ("", None, False)``: ``Decimal(0) == False``, and a spend bound of 0 is a filter.)"""
    return value is not False and value not in ("", None)


@dataclass(frozen=True)
class TableFilters:
    """What narrows the table. Values are already validated (see the web form)."""

    q: str = ""
    tier: str = ""
    tag: str = ""
    city: str = ""
    owner_id: int | None = None
    status: str = ""  # "" = all but archived; "all" = everything
    kind: str = ""
    purchased_from: dt.date | None = None
    purchased_to: dt.date | None = None
    min_spend: Decimal | None = None
    max_spend: Decimal | None = None
    follow_up_due: bool = False  # due for the routine contact of their tier's cadence
    manager_missing: bool = False  # their tier asks for a dedicated account manager; none

    @property
    def active(self) -> bool:
        return any(_narrowing(getattr(self, f)) for f in self.__dataclass_fields__)

    @property
    def narrows(self) -> bool:
        """True when the filters leave out more than the (few) archived customers."""
        return any(
            _narrowing(getattr(self, f)) for f in self.__dataclass_fields__ if f != "status"
        ) or self.status not in ("", "all")


@dataclass(frozen=True)
class TableView:
    """Everything that defines what the table shows: a saved view stores exactly this."""

    filters: TableFilters = field(default_factory=TableFilters)
    sort: str = DEFAULT_SORT
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    per_page: int = PAGE_SIZES[0]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe form (dates and amounts as text), read back by :meth:`from_dict`."""
        values: dict[str, Any] = {}
        for name in TableFilters.__dataclass_fields__:
            value = getattr(self.filters, name)
            if not _narrowing(value):
                continue
            values[name] = value if isinstance(value, str | int) else str(value)
        return {
            "filters": values,
            "sort": self.sort,
            "columns": list(self.columns),
            "per_page": self.per_page,
        }

    @classmethod
    def from_dict(cls, data: object) -> TableView:
        """A view from stored JSON; anything unknown or malformed falls back to the default."""
        if not isinstance(data, dict):
            return cls()
        raw = data.get("filters")
        raw = raw if isinstance(raw, dict) else {}
        kept: dict[str, Any] = {}
        for name, spec in TableFilters.__dataclass_fields__.items():
            if name not in raw:
                continue
            try:
                kept[name] = _revive(str(spec.type), raw[name])
            except (ValueError, TypeError, InvalidOperation):
                continue
        columns = data.get("columns")
        per_page = data.get("per_page")
        sort = data.get("sort")
        return cls(
            filters=TableFilters(**kept),
            sort=sort if sort in SORTS else DEFAULT_SORT,
            columns=clean_columns(columns) if isinstance(columns, list) else DEFAULT_COLUMNS,
            per_page=per_page if per_page in PAGE_SIZES else PAGE_SIZES[0],
        )


def _revive(annotation: str, value: object) -> Any:
    if annotation == "bool":
        if not isinstance(value, bool):
            raise TypeError("not a bool")
        return value
    if "date" in annotation:
        return dt.date.fromisoformat(str(value))
    if "Decimal" in annotation:
        return Decimal(str(value))
    if "int" in annotation:
        if isinstance(value, bool):
            raise TypeError("bool")
        return int(str(value))
    return str(value)


# --- Queries --------------------------------------------------------------------------------


def lowest_tier(ladder: Ladder | None = None) -> str:
    return (ladder or active_programme().programme.ladder).lowest.code


def tier_key(code: str, ladder: Ladder | None = None) -> str:
    """What ``customers_customer.tier`` holds for the tier ``code``: "" for the lowest tier
    (also the value of a card without a membership row), the code for the others."""
    return "" if code == lowest_tier(ladder) else code


def filtered_customers(
    viewer: User, filters: TableFilters, ladder: Ladder | None = None
) -> QuerySet[Customer]:
    """The viewer's customers narrowed by ``filters``; unordered, nothing joined for display.

    ``ladder`` (the active one when not given) tells which tier holds customers without a
    membership row: its lowest. The tier is read from the customer row's copy (``tier_key``),
    which the (tier, sort) indexes lead with."""
    f = filters
    qs = with_status(visible_customers(viewer), f.status)
    if f.q:
        qs = qs.filter(search_condition(f.q))  # the search box's indexed matches
    if f.tier:
        qs = qs.filter(tier=tier_key(f.tier, ladder))
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.purchased_from:
        qs = qs.filter(last_purchase_at__gte=local_day_bounds(f.purchased_from)[0])
    if f.purchased_to:
        qs = qs.filter(last_purchase_at__lt=local_day_bounds(f.purchased_to)[1])
    if f.min_spend is not None:
        qs = qs.filter(total_spend__gte=f.min_spend)
    if f.max_spend is not None:
        qs = qs.filter(total_spend__lte=f.max_spend)
    if f.follow_up_due:
        qs = qs.filter(follow_up_due_q(business_today(), ladder))
    if f.manager_missing:
        qs = qs.filter(manager_missing_q(ladder))
    return qs


def manager_missing_q(ladder: Ladder | None = None) -> Q:
    """Customers whose tier's benefits include a dedicated account manager and who have no
    owner. Tiers without that benefit match nobody."""
    programme = active_programme().programme
    ladder = ladder or programme.ladder
    keys = [
        tier_key(t.code, ladder)
        for t in ladder.tiers
        if programme.benefits_of(t.code).dedicated_manager
    ]
    return Q(tier__in=keys, owner__isnull=True) if keys else Q(pk__in=[])


def follow_up_due_q(today: dt.date, ladder: Ladder | None = None) -> Q:
    """Customers whose tier asks for a contact every N days (``follow_up_days``) and who have
    had none for N days or more: last contacted (or, never contacted, added) on
    ``today - N`` or earlier. Tiers without a cadence match nobody."""
    programme = active_programme().programme
    ladder = ladder or programme.ladder
    q = Q(pk__in=[])
    for tier in ladder.tiers:
        days = programme.benefits_of(tier.code).follow_up_days
        if not days:
            continue
        cut = local_day_bounds(today - dt.timedelta(days=days))[1]
        q |= Q(tier=tier_key(tier.code, ladder)) & (
            Q(last_interaction_at__lt=cut) | Q(last_interaction_at__isnull=True, created_at__lt=cut)
        )
    return q


def table_count(
    viewer: User, filters: TableFilters, *, cap: int | None = None, ladder: Ladder | None = None
) -> tuple[int, bool]:
    """(number of matching rows, capped): counts at most ``cap + 1`` rows, never the table."""
    cap = COUNT_CAP if cap is None else cap
    n = filtered_customers(viewer, filters, ladder).order_by()[: cap + 1].count()
    return min(n, cap), n > cap


# --- Cursors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position: after (``forward``) or before the row holding ``value`` and ``pk``.

    ``value`` is None for a row in the second segment (no value) of a nullable sort.
    """

    sort: str
    value: Any
    pk: int
    forward: bool = True

    def encode(self) -> str:
        spec = SORTS[self.sort]
        raw = _encode_value(spec, self.value)
        payload = {"s": self.sort, "k": raw, "id": self.pk, "d": "n" if self.forward else "p"}
        data = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: str) -> Cursor | None:
        """The cursor, or None when it is malformed or belongs to another sort."""
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(data, dict) or data.get("s") != sort or sort not in SORTS:
                return None
            pk = data.get("id")
            if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
                return None
            value = _decode_value(SORTS[sort], data.get("k"))
            return cls(sort, value, pk, data.get("d") != "p")
        except (ValueError, TypeError, InvalidOperation, binascii.Error, UnicodeDecodeError):
            return None


def _encode_value(spec: Sort, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind in {"date", "datetime"}:
        return value.isoformat()
    if spec.kind == "decimal":
        return str(value)
    return value


def _decode_value(spec: Sort, raw: Any) -> Any:
    if raw is None:
        if not spec.nullable:
            raise ValueError("null key")
        return None
    if spec.kind == "date":
        return dt.date.fromisoformat(str(raw))
    if spec.kind == "datetime":
        value = dt.datetime.fromisoformat(str(raw))
        if value.tzinfo is None:
            raise ValueError("naive")
        return value
    if spec.kind == "decimal":
        amount = Decimal(str(raw))
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 12:
            raise ValueError("range")
        return amount
    if spec.kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool) or abs(raw) >= 2**63:
            raise ValueError("int")
        return raw
    if not isinstance(raw, str):
        raise ValueError("str")
    return raw


# --- Pages ----------------------------------------------------------------------------------


@dataclass
class TableRow:
    """One customer with what the chosen columns need, loaded for the page in bulk."""

    customer: Customer
    tier: str
    win_spend: Decimal
    win_orders: int
    points: int
    tags: list[Tag] = field(default_factory=list)
    interactions: int | None = None
    campaigns: str | None = None


@dataclass(frozen=True)
class TablePage:
    rows: list[TableRow]
    next: Cursor | None
    previous: Cursor | None


def _sort_key(spec: Sort, customer: Customer) -> Any:
    if spec.value.startswith("membership__"):
        membership = _membership(customer)
        return getattr(membership, spec.value.split("__", 1)[1]) if membership else None
    return getattr(customer, spec.value)


def _membership(customer: Customer) -> Any:
    try:
        return customer.membership  # the reverse one-to-one, loaded by select_related
    except Customer.membership.RelatedObjectDoesNotExist:
        return None


ROW_FIELDS = (
    *("id", "kind", "name", "name_pinyin", "company_name", "primary_phone", "city", "status"),
    *("registered_on", "total_spend", "order_count", "last_purchase_at", "last_interaction_at"),
    *("tier", "owner", "membership"),
)
"""The customer columns a table row carries: what the columns, the sorts and their cursors,
the export and the printed table read (``TableRow.customer``); the owner and the membership
come whole. The card row has some 65 columns; loading them all cost a third of a page's
Python. Reading another field of ``TableRow.customer`` would cost one query per row: add it
here (``tests/web/test_member_table.py`` bounds the queries of every column and export)."""


def _read(qs: QuerySet[Customer], limit: int) -> list[Customer]:
    if limit <= 0:
        return []
    return list(qs.select_related("owner", "membership").only(*ROW_FIELDS)[:limit])


@dataclass(frozen=True)
class _Walk:
    """One segment read in one direction: its order and how to continue after a key."""

    order: list[str]
    key: tuple[str, ...]  # the fields the order is made of (value, tie) or (id,)
    after: Callable[..., Q]  # key values → rows strictly after them in ``order``


def _valued_walk(spec: Sort, reverse: bool) -> _Walk:
    return _Walk(
        spec.order(reverse=reverse),
        (spec.value, spec.tie),
        lambda value, pk: spec.beyond(value, pk, reverse=reverse),
    )


def _empty_walk(reverse: bool) -> _Walk:
    if reverse:
        return _Walk(["id"], ("id",), lambda pk: Q(id__gt=pk))
    return _Walk(["-id"], ("id",), lambda pk: Q(id__lt=pk))


def _walk(
    rows_qs: QuerySet[Customer],
    base: QuerySet[Customer],
    walk: _Walk,
    want: int,
    narrowed: bool,
    read: Callable[[QuerySet[Customer], int], list[Any]] = _read,
) -> list[Any]:
    """Up to ``want`` rows of ``rows_qs`` in ``walk.order`` (as ``read`` gives them).

    ``base`` is the same segment without the viewer's scope and the filters. When those
    narrow the table (``narrowed``), a database planner tends to pick the filter's index and
    sort every match (SQLite: a rep's 100,000 customers sorted to show 25). Instead the rows
    are looked for in growing windows of keys read from the sort's own index (``WINDOWS``),
    each window a subquery joined by primary key; when the windows are used up the filter is
    selective, and the plain query (the planner's choice) reads the rest.
    """
    if not narrowed:
        return read(rows_qs.order_by(*walk.order), want)
    rows: list[Any] = []
    for size in WINDOWS:
        window = base.order_by(*walk.order)[:size]
        rows += read(
            rows_qs.filter(pk__in=window.values("pk")).order_by(*walk.order), want - len(rows)
        )
        if len(rows) >= want:
            return rows
        last = list(window.values_list(*walk.key)[size - 1 : size])
        if not last:
            return rows  # the window reached the end: every row has been looked at
        beyond = walk.after(*last[0])
        base, rows_qs = base.filter(beyond), rows_qs.filter(beyond)
    return rows + read(rows_qs.order_by(*walk.order), want - len(rows))


def _walk_tiers(
    rows_qs: QuerySet[Customer],
    base: QuerySet[Customer],
    walk: _Walk,
    want: int,
    narrowed: bool,
    tiers: Sequence[str],
) -> list[Customer]:
    """``_walk`` of a membership sort over every tier: each tier's range of the sort's ``(tier,
    value, id)`` index is walked for the keys of its first ``want`` rows (values only, no
    rows built), the keys are merged in ``walk.order`` (both keys run the same way), and the
    rows of the first ``want`` are read at once."""
    if want <= 0:
        return []

    def keys_of(qs: QuerySet[Customer], limit: int) -> list[Any]:
        return list(qs.values_list(*walk.key)[:limit]) if limit > 0 else []

    keys: list[Any] = []
    for tier in tiers:
        in_tier = rows_qs.filter(membership__tier=tier)
        keys += _walk(in_tier, base.filter(membership__tier=tier), walk, want, narrowed, keys_of)
    keys.sort(reverse=walk.order[0].startswith("-"))
    chosen = [key[-1] for key in keys[:want]]
    return _read(rows_qs.filter(pk__in=chosen).order_by(*walk.order), want)


LEADING_EQUALITIES: dict[str, tuple[str, ...]] = {"recent": ("city", "owner_id")}
"""Per sort, the customer columns besides the tier with a composite index ``(column, sort
value, id)`` (the ``table_city_recent`` and ``table_owner_recent`` indexes). When the view
fixes one of them, the windows of keys are read from that index instead of the whole table's:
a city holding 3 % of the customers otherwise walked 85,000 keys of the whole table (and
fetched as many wide rows) to fill a page. Every sort has such an index led by the tier
(``table_tier_*``, listviews migration 0004)."""


@dataclass(frozen=True)
class WalkBases:
    """Where the key windows of each segment are read from (see :func:`walk_base`)."""

    valued: QuerySet[Customer]  # the rows holding a sort value (every row of a plain sort)
    empty: QuerySet[Customer]  # the rows without one (a nullable sort's second segment)
    tiers: tuple[str, ...] = ()  # a membership sort over every tier: the ranges to merge


def walk_base(
    sort: str, filters: TableFilters, scope: Scope, ladder: Ladder | None = None
) -> WalkBases:
    """The rows the key windows are read from: every customer, or those sharing an equality
    the view (or a sales rep's own scope) fixes and an index leads with. Always a superset of
    the view's rows, so a window that reaches its end has looked at every candidate.

    A tier narrows the windows to one range of a ``table_tier_*`` index: the customer row's
    tier for the customer sorts, the membership's for the membership sorts (whose rows
    without a value, customers without a membership row, hold the customer row's "")."""
    # One equality only, the likeliest to be selective: given two, SQLite preferred the plain
    # (city, status) index and sorted the whole city to read the first window.
    owner = filters.owner_id
    if owner is None and not scope.everyone and scope.team_id is None:
        owner = scope.owner_id  # a sales rep's table holds only their own customers
    base = Customer.objects.all()
    leading = LEADING_EQUALITIES.get(sort, ())
    if "owner_id" in leading and owner is not None:
        base = base.filter(owner_id=owner)
    elif "city" in leading and filters.city:
        base = base.filter(city=filters.city)
    elif filters.tier:
        by_customer = base.filter(tier=tier_key(filters.tier, ladder))
        if SORTS[sort].value.startswith("membership__"):
            return WalkBases(base.filter(membership__tier=filters.tier), by_customer)
        return WalkBases(by_customer, by_customer)
    elif SORTS[sort].value.startswith("membership__"):
        ladder = ladder or active_programme().programme.ladder
        return WalkBases(base, base, tuple(t.code for t in ladder.tiers))
    return WalkBases(base, base)


def _segments(
    qs: QuerySet[Customer],
    spec: Sort,
    cursor: Cursor | None,
    size: int,
    narrowed: bool,
    bases: WalkBases,
) -> tuple[list[Customer], bool]:
    """Up to ``size`` customers in display order from ``cursor``, and whether more lie beyond
    it in the reading direction (for a backward read: before the first returned row).
    ``bases`` hold supersets of ``qs`` whose keys the windows read (see :func:`walk_base`)."""
    want = size + 1
    reverse = cursor is not None and not cursor.forward
    if not spec.nullable:
        walk = _valued_walk(spec, reverse)
        base = bases.valued
        if cursor is not None:
            qs, base = (
                qs.filter(walk.after(cursor.value, cursor.pk)),
                base.filter(walk.after(cursor.value, cursor.pk)),
            )
        rows = _walk(qs, base, walk, want, narrowed)
    else:
        valued_q = Q(**{f"{spec.value}__isnull": False})
        empty_q = Q(**{f"{spec.value}__isnull": True})
        valued = _valued_walk(spec, reverse)
        empty = _empty_walk(reverse)
        # Forwards: the valued segment, then the empty one; backwards the other way round.
        segments = [(valued_q, valued), (empty_q, empty)]
        if reverse:
            segments.reverse()
        if cursor is not None and (cursor.value is None) == (segments[0][1] is valued):
            segments = segments[1:]  # the cursor lies in the second segment already
        rows = []
        for n, (cond, walk) in enumerate(segments):
            base = bases.valued if walk is valued else bases.empty
            part, part_base = qs.filter(cond), base.filter(cond)
            if cursor is not None and n == 0:
                key = (cursor.pk,) if walk is empty else (cursor.value, cursor.pk)
                part, part_base = part.filter(walk.after(*key)), part_base.filter(walk.after(*key))
            if walk is valued and bases.tiers:
                left = want - len(rows)
                rows += _walk_tiers(part, part_base, walk, left, narrowed, bases.tiers)
            else:
                rows += _walk(part, part_base, walk, want - len(rows), narrowed)
            if len(rows) >= want:
                break
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    return rows, more


def table_page(
    viewer: User,
    view: TableView,
    cursor: Cursor | None = None,
    *,
    size: int | None = None,
    ladder: Ladder | None = None,
) -> TablePage:
    """One page of the table in ``view``'s order, from ``cursor`` (None: the first page)."""
    ladder = ladder or active_programme().programme.ladder
    spec = SORTS.get(view.sort, SORTS[DEFAULT_SORT])
    sort = view.sort if view.sort in SORTS else DEFAULT_SORT
    if cursor is not None and cursor.sort != sort:
        cursor = None
    limit = max(1, min(size or view.per_page, MAX_ROWS_PER_READ))
    qs = filtered_customers(viewer, view.filters, ladder)
    narrowed = view.filters.narrows or viewer.role not in SEE_ALL
    bases = walk_base(sort, view.filters, scope_of(viewer), ladder)
    customers, more = _segments(qs, spec, cursor, limit, narrowed, bases)
    rows = load_rows(customers, view.columns, lowest=ladder.lowest.code)
    forward = cursor is None or cursor.forward
    has_next = more if forward else cursor is not None
    has_previous = cursor is not None if forward else more
    first, last = (customers[0], customers[-1]) if customers else (None, None)
    return TablePage(
        rows=rows,
        next=Cursor(sort, _sort_key(spec, last), last.pk) if has_next and last else None,
        previous=(
            Cursor(sort, _sort_key(spec, first), first.pk, forward=False)
            if has_previous and first
            else None
        ),
    )


def load_rows(customers: list[Customer], columns: Sequence[str], *, lowest: str) -> list[TableRow]:
    """Rows for ``customers`` with their tags, interaction counts and campaign summaries, one
    query per kind of data for the whole page (none when the column is hidden)."""
    ids = [c.pk for c in customers]
    tags: dict[int, list[Tag]] = {}
    if ids and "tags" in columns:
        through = Customer.tags.through.objects.filter(customer_id__in=ids).order_by("tag__name")
        # Values, not link rows: each tag of each row made two model instances.
        found = through.values_list("customer_id", "tag_id", "tag__name", "tag__color")
        for customer_id, tag_id, name, color in found:
            tag = Tag.from_db(through.db, ["id", "name", "color"], (tag_id, name, color))
            tags.setdefault(customer_id, []).append(tag)
    counts: dict[int, int] = {}
    if ids and "service" in columns:
        counts = dict(
            Interaction.objects.filter(customer_id__in=ids)
            .order_by()
            .values("customer_id")
            .annotate(n=Count("id"))
            .values_list("customer_id", "n")
        )
    campaigns: dict[int, str] = {}
    if ids and "campaigns" in columns:
        for source in PARTICIPATION_SOURCES:
            campaigns.update(source(ids))
    rows = []
    for customer in customers:
        m = _membership(customer)
        rows.append(
            TableRow(
                customer=customer,
                tier=m.tier if m else lowest,
                win_spend=m.win_spend if m else Decimal("0.00"),
                win_orders=m.win_orders if m else 0,
                points=m.points_balance if m else 0,
                tags=tags.get(customer.pk, []),
                interactions=counts.get(customer.pk, 0) if "service" in columns else None,
                campaigns=campaigns.get(customer.pk) if "campaigns" in columns else None,
            )
        )
    return rows


def table_rows(viewer: User, view: TableView, *, chunk: int = 1000) -> Iterator[TableRow]:
    """Every row of ``view`` in its order, read page by page (for exports)."""
    cursor: Cursor | None = None
    wide = replace(view, per_page=PAGE_SIZES[0])
    ladder = active_programme().programme.ladder
    while True:
        page = table_page(viewer, wide, cursor, size=chunk, ladder=ladder)
        yield from page.rows
        if page.next is None:
            return
        cursor = page.next
