"""Reads of customer data. Row-level visibility lives here and only here.

:func:`visible_customers` is the single scoping rule; every list, detail, search, export,
report, API and import path starts from it. A customer outside the viewer's scope is reported
as *not found*, never as *forbidden*, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy

from tiercard.accounts.models import User
from tiercard.core import rows
from tiercard.core.errors import NotFound
from tiercard.core.prepared import Prepared
from tiercard.core.text import clean_text, fold_width
from tiercard.customers.models import Contact, ContactPoint, Customer, CustomerStatus, Tag
from tiercard.customers.scope import Scope, scope_of


def visible_customers(viewer: User) -> QuerySet[Customer]:
    """All customers the viewer may see, archived ones included. Inactive users see none."""
    scope = scope_of(viewer)
    if scope.everyone:
        return Customer.objects.all()
    if scope.owner_id is None:
        return Customer.objects.none()
    condition = scope.q()
    assert condition is not None
    return Customer.objects.filter(condition)


def visible_customer_pk(viewer: User, customer_id: int) -> QuerySet[Customer, Any]:
    """The customer, if ``viewer`` may see it, as a one-row subquery of its primary key.

    For reads of one customer's records (``customer__in=visible_customer_pk(...)``): the
    scope check stays in the query and costs one primary-key lookup, where
    ``customer__in=visible_customers(viewer)`` made SQLite list a sales rep's whole book
    (70,000 ids, ~30 ms) for every such read."""
    return visible_customers(viewer).filter(pk=customer_id).values("pk")


def visible_customer_row(viewer: User, customer_id: int, names: Sequence[str]) -> Customer | None:
    """One customer in the viewer's scope with only ``names`` loaded, or ``None``.

    The same scope as ``visible_customers`` (``Scope.admits`` on the row's owner and team),
    read with one plain statement: for the checkout, which runs on every purchase.
    """
    return visible_customer_row_later(viewer, customer_id, names)()


def visible_customer_row_later(
    viewer: User, customer_id: int, names: Sequence[str]
) -> Callable[[], Customer | None]:
    """``visible_customer_row``, its statement sent now (streamed in an open ``core.batch``);
    the function applies the scope to the row when it is wanted."""
    later = rows.select_later(Customer, customer_id, [*names, "owner", "team"])

    def scoped() -> Customer | None:
        row = later()
        if row is None or not scope_of(viewer).admits(row.owner_id, row.team_id):
            return None
        return row

    return scoped


def customer_ensure_visible(*, viewer: User, customer_id: int) -> None:
    """NotFound unless the customer is in the viewer's scope: one EXISTS query.

    For reads of records under a customer (purchases, timeline), where loading the whole
    card would be wasted work.
    """
    if not visible_customers(viewer).filter(pk=customer_id).exists():
        raise NotFound()


def customer_get(*, viewer: User, customer_id: int | str) -> Customer:
    """One customer in the viewer's scope, or :class:`NotFound`.

    Every card page and card action starts here, so its statements are compiled once (per
    scope for the card, ``core.prepared``); the owner and team come joined, and the tags,
    contact points and contact persons as ``prefetch_related`` would give them."""
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not -(2**63) <= pk < 2**63:
        raise NotFound()  # no row has it (the ORM says the same for an out-of-range lookup)
    found = _card_read(scope_of(viewer)).rows(pk)
    if not found:
        raise NotFound()
    customer = found[0]
    _prefetched(customer, "tags", _TAGS.rows(pk))
    _prefetched(customer, "contact_points", _CONTACT_POINTS.rows(pk))
    _prefetched(customer, "contacts", _CONTACTS.rows(pk))
    return customer


_CARD_READS: dict[Scope, Prepared[Customer]] = {}
_TAGS = Prepared(lambda pk: Tag.objects.filter(customers=pk))
_CONTACT_POINTS = Prepared(lambda pk: ContactPoint.objects.filter(customer_id=pk))
_CONTACTS = Prepared(lambda pk: Contact.objects.filter(customer_id=pk))


def _card_read(scope: Scope) -> Prepared[Customer]:
    found = _CARD_READS.get(scope)
    if found is None:
        condition = scope.q()
        base = Customer.objects.all() if condition is None else Customer.objects.filter(condition)
        found = Prepared(
            lambda pk: (
                base.select_related("owner", "team")  # not merged_into: a second wide card
                .filter(pk=pk)
                .order_by("pk")[:1]
            )
        )
        _CARD_READS[scope] = found
    return found


def _prefetched(customer: Customer, name: str, rows: list[Any]) -> None:
    """Keep ``rows`` as ``customer.<name>.all()``, as ``prefetch_related(name)`` keeps them
    (in the relation's own order; a contact point or person knows its customer)."""
    queryset = getattr(customer, name).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if name != "tags":
        for row in rows:
            row.customer = customer
    customer.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    status: str = ""  # "" = all but archived; "all" = everything
    kind: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    city: str = ""
    tag: str = ""
    min_spend: Decimal | None = None
    max_spend: Decimal | None = None
    extra: dict[str, str] = field(default_factory=dict)


SORTS = {
    "recent": ("-registered_on", "-id"),
    "name": ("name_pinyin", "id"),
    "spend": ("-total_spend", "-id"),
    "last_purchase": ("-last_purchase_at", "-id"),
    "orders": ("-order_count", "-id"),
}


def search_condition(query: str) -> Q:
    """The search box's matches as one condition (see ``customers.search.search_filter``):
    name characters, pinyin / initials, phone, company, email, external id, each answered by
    an index. Empty input matches everything (no filter)."""
    from tiercard.customers.search import search_filter  # search builds on this module

    if not clean_text(fold_width(query)):
        return Q()
    return search_filter(query)


def with_status(qs: QuerySet[Customer], status: str) -> QuerySet[Customer]:
    """``status`` narrows to one status; ``"all"`` keeps everything; empty: all but archived."""
    if status == "all":
        return qs
    if status:
        return qs.filter(status=status)
    return qs.exclude(status=CustomerStatus.ARCHIVED)


def customer_list(
    *, viewer: User, filters: CustomerFilters | None = None, sort: str = "recent"
) -> QuerySet[Customer]:
    """The viewer's customers, filtered and ordered; archived ones only when asked for."""
    f = filters or CustomerFilters()
    qs = with_status(visible_customers(viewer), f.status)
    if f.q:
        qs = qs.filter(search_condition(f.q))
        if "@" in f.q:
            qs = qs.distinct()
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.min_spend is not None:
        qs = qs.filter(total_spend__gte=f.min_spend)
    if f.max_spend is not None:
        qs = qs.filter(total_spend__lte=f.max_spend)
    return (
        qs.select_related("owner", "team")
        .prefetch_related("tags")
        .order_by(*sort_expressions(sort))
    )


def sort_expressions(sort: str) -> list[OrderBy]:
    """The ordering of a sort name; customers with no value (no purchase yet) always last.

    PostgreSQL puts NULLs first in descending order and SQLite last; stating it makes every
    database, and the API's keyset paging, agree.
    """
    return [
        F(name[1:]).desc(nulls_last=True) if name.startswith("-") else F(name).asc(nulls_last=True)
        for name in SORTS.get(sort, SORTS["recent"])
    ]


def tag_list() -> QuerySet[Tag]:
    """All tags, for pickers and filters. Tags are shared labels, not customer data."""
    return Tag.objects.order_by("name")


def staff_seeing(customer_id: int, roles: Iterable[str]) -> list[User]:
    """Active users of ``roles`` who see the customer (its owner and team against each one's
    scope), by username: who may be handed its work. Two queries; the caller has read the
    customer through its viewer's scope."""
    row = Customer.objects.filter(pk=customer_id).values_list("owner_id", "team_id").first()
    if row is None:
        return []
    owner_id, team_id = row
    staff = User.objects.filter(is_active=True, role__in=list(roles)).order_by("username")
    return [u for u in staff if scope_of(u).admits(owner_id, team_id)]
