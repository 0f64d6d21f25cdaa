"""Customer cards: list, detail, create, update, archive, restore, reveal, timeline."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.paging import MAX_DB_INT, KeySpec, PageCursor, PageLimit, page_size, paginate
from tiercard.api.query import amount_filter
from tiercard.api.schemas import (
    ArchiveIn,
    CustomerCreateIn,
    CustomerListItem,
    CustomerOut,
    CustomerPage,
    CustomerPatchIn,
    RevealOut,
    TimelinePage,
)
from tiercard.api.serializers import customer_list_item, customer_out, timeline_entry_out
from tiercard.api.throttles import reveal_throttle
from tiercard.cards.account_manager import card_update
from tiercard.cards.timeline import KINDS as TIMELINE_KINDS
from tiercard.cards.timeline import card_timeline
from tiercard.core.errors import FieldErrors
from tiercard.customers import services
from tiercard.customers.models import CustomerKind, CustomerStatus
from tiercard.customers.search import DEFAULT_LIMIT as DEFAULT_SEARCH_LIMIT
from tiercard.customers.search import MAX_LIMIT as MAX_SEARCH_LIMIT
from tiercard.customers.search import customer_search
from tiercard.customers.selectors import SORTS, CustomerFilters, customer_get, customer_list
from tiercard.dedupe.matchkeys import keys_refresh

router = Router(tags=["customers"])

# How each sort of ``customers.selectors.SORTS`` pages by keyset.
CUSTOMER_KEYS: dict[str, KeySpec] = {
    "recent": KeySpec("registered_on", descending=True, kind="date"),
    "name": KeySpec("name_pinyin", descending=False, kind="str"),
    "spend": KeySpec("total_spend", descending=True, kind="decimal"),
    "last_purchase": KeySpec("last_purchase_at", descending=True, kind="datetime", nullable=True),
    "orders": KeySpec("order_count", descending=True, kind="int"),
}
if set(CUSTOMER_KEYS) != set(SORTS):  # a sort added to the selector needs its keyset here
    raise ImproperlyConfigured("tiercard.api.customers.CUSTOMER_KEYS does not match SORTS")


@router.get("/customers", response={200: CustomerPage, **error_responses()})
def list_customers(
    request: HttpRequest,
    q: Annotated[
        str, Query(max_length=100, description="Name, pinyin, initials, phone tail…")
    ] = "",
    status: Annotated[
        str,
        Query(
            description="One of "
            + ", ".join(CustomerStatus.values)
            + ", or `all`. Archived cards are left out unless asked for.",
        ),
    ] = "",
    kind: Annotated[str, Query(description=" or ".join(CustomerKind.values))] = "",
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    city: Annotated[str, Query(max_length=30)] = "",
    tag: Annotated[str, Query(max_length=40)] = "",
    min_spend: Annotated[str | None, Query(max_length=40)] = None,
    max_spend: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[str, Query(description="One of " + ", ".join(SORTS) + ".")] = "recent",
    limit: PageLimit = None,
    cursor: PageCursor = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    with_count: bool = False,
) -> dict[str, Any]:
    """The caller's customers, newest first by default. Page with `next` as `cursor`.

    No total is computed unless `with_count=true` (a COUNT over a large book is not free).
    """
    user = viewer(request)
    errors = FieldErrors()
    if sort not in SORTS:
        errors.add("sort", _("Choose one of: %(expected)s.") % {"expected": ", ".join(SORTS)})
    if status not in {"", "all", *CustomerStatus.values}:
        errors.add("status", _("Unknown status."))
    if kind not in {"", *CustomerKind.values}:
        errors.add("kind", _("Unknown customer type."))
    low = amount_filter(min_spend, "min_spend", errors)
    high = amount_filter(max_spend, "max_spend", errors)
    errors.raise_if_any()
    filters = CustomerFilters(
        q=q,
        status=status,
        kind=kind,
        owner_id=owner_id,
        team_id=team_id,
        city=city,
        tag=tag,
        min_spend=low,
        max_spend=high,
    )
    qs = customer_list(viewer=user, filters=filters, sort=sort).prefetch_related("tags")
    page = paginate(
        qs,
        name=f"customers:{sort}",
        spec=CUSTOMER_KEYS[sort],
        limit=limit,
        cursor=cursor,
        offset=offset,
        with_count=with_count,
    )
    return {
        "items": [customer_list_item(user, c) for c in page.items],
        "next": page.next,
        "count": page.count,
    }


class CustomerSearchHit(CustomerListItem):
    match: int = Field(
        description="How it matched: 0 exactly (name, initials, pinyin, phone tail, email), "
        "1 the start, 2 inside the name or another reading, 3 the company name."
    )


class CustomerSearchOut(Schema):
    items: list[CustomerSearchHit]


@router.get(
    "/customers/search", response={200: CustomerSearchOut, **error_responses()}, summary="Search"
)
def search_customers(
    request: HttpRequest,
    q: Annotated[
        str,
        Query(
            max_length=200,
            description="Chinese characters (三 finds 张三), pinyin (zhangsan, zhangs), "
            "initials (zs), phone digits (the last four, or the whole number), company, email.",
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT)] = DEFAULT_SEARCH_LIMIT,
    include_archived: bool = False,
) -> dict[str, Any]:
    """The caller's customers best matching `q`, best first (the search box's ranking)."""
    user = viewer(request)
    hits = customer_search(user, q, limit, include_archived=include_archived)
    customers = [h.customer for h in hits]
    prefetch_related_objects(customers, "tags")
    return {"items": [{**customer_list_item(user, h.customer), "match": h.tier} for h in hits]}


def _card(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    user = viewer(request)
    return customer_out(user, customer_get(viewer=user, customer_id=customer_id))


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, **error_responses(404)})
def get_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The full card. Phones and emails are masked for roles that see masked data."""
    return _card(request, customer_id)


@router.post(
    "/customers", response={201: CustomerOut, **error_responses(403)}, summary="Create customer"
)
def create_customer(request: HttpRequest, payload: CustomerCreateIn) -> Status:
    user = viewer(request)
    customer = services.customer_create(actor=user, data=payload.model_dump(exclude_unset=True))
    keys_refresh(customer_ids=[customer.pk])  # duplicate keys current at once (see /duplicates)
    return Status(201, _card(request, customer.pk))


@router.patch(
    "/customers/{int:customer_id}",
    response={200: CustomerOut, **error_responses(403, 404, 409)},
)
def update_customer(
    request: HttpRequest, customer_id: int, payload: CustomerPatchIn
) -> dict[str, Any]:
    """Change the fields sent, nothing else. Send `version` to refuse a stale overwrite."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    card_update(actor=viewer(request), customer_id=customer_id, data=data, expected_version=version)
    return _card(request, customer_id)


@router.post(
    "/customers/{int:customer_id}/archive",
    response={200: CustomerOut, **error_responses(403, 404)},
)
def archive_customer(
    request: HttpRequest, customer_id: int, payload: ArchiveIn | None = None
) -> dict[str, Any]:
    reason = payload.reason if payload is not None else ""
    services.customer_archive(actor=viewer(request), customer_id=customer_id, reason=reason)
    return _card(request, customer_id)


@router.post(
    "/customers/{int:customer_id}/restore",
    response={200: CustomerOut, **error_responses(403, 404)},
)
def restore_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    services.customer_restore(actor=viewer(request), customer_id=customer_id)
    return _card(request, customer_id)


@router.post(
    "/customers/{int:customer_id}/reveal",
    response={200: RevealOut, **error_responses(403, 404, 429)},
    throttle=[reveal_throttle],
)
def reveal_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """Unmasked contact values. Every call is written to the audit log; rate-limited per user."""
    revealed = services.customer_reveal_pii(actor=viewer(request), customer_id=customer_id)
    return {"customer_id": customer_id, "contact_points": revealed}


@router.get(
    "/customers/{int:customer_id}/timeline",
    response={200: TimelinePage, **error_responses(404)},
)
def customer_timeline(
    request: HttpRequest,
    customer_id: int,
    kinds: Annotated[
        str,
        Query(
            max_length=100,
            description=f"Comma-separated subset of: {', '.join(TIMELINE_KINDS)}.",
        ),
    ] = "",
    cursor: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Purchases, points, tier changes, interactions, notes and card changes, newest first;
    page with ``cursor``."""
    user = viewer(request)
    wanted = {k.strip() for k in kinds.split(",") if k.strip()}
    unknown = wanted - set(TIMELINE_KINDS)
    if unknown:
        errors = FieldErrors()
        errors.add("kinds", _("Unknown kind: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))})
        errors.raise_if_any()
    page = card_timeline(
        viewer=user,
        customer_id=customer_id,
        kinds=wanted or None,
        cursor=cursor,
        limit=page_size(limit),
    )
    return {
        "items": [timeline_entry_out(user, e) for e in page.entries],
        "next": page.next_cursor,
    }
