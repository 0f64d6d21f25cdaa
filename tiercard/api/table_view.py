"""The member table view an API caller asks for: a saved view and/or filters, sort, columns.

Shared by the routes that hand out the member table as a file (PDF print, CSV/xlsx export),
so both declare (``TableQuery``) and read the same parameters the same way. Filters given
replace the saved view's; unknown tiers, statuses, types, sorts and columns are 422 with each
field named.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from tiercard.accounts.models import User
from tiercard.api.paging import MAX_DB_INT
from tiercard.api.query import amount_filter
from tiercard.core.errors import FieldErrors
from tiercard.customers.models import CustomerKind, CustomerStatus
from tiercard.listviews.selectors import saved_view_get
from tiercard.listviews.table import (
    COLUMN_KEYS,
    DEFAULT_SORT,
    SORTS,
    TableFilters,
    TableView,
    clean_columns,
)
from tiercard.loyalty.services.state import active_programme


class TableQuery(Schema):
    """The query parameters naming a member table view (each route takes ``Query[TableQuery]``)."""

    view: int | None = Field(
        None, ge=1, le=MAX_DB_INT, description="A saved view (own or shared) to start from."
    )
    q: str | None = Field(None, max_length=100)
    tier: str | None = Field(None, max_length=40, description="A tier code.")
    tag: str | None = Field(None, max_length=40)
    city: str | None = Field(None, max_length=30)
    owner_id: int | None = Field(None, ge=1, le=MAX_DB_INT)
    status: str | None = Field(None, description="A status, or `all`.")
    kind: str | None = Field(None, description=" or ".join(CustomerKind.values))
    purchased_from: dt.date | None = None
    purchased_to: dt.date | None = None
    min_spend: str | None = Field(None, max_length=40)
    max_spend: str | None = Field(None, max_length=40)
    follow_up_due: bool | None = Field(
        None, description="Only customers due for their tier's routine contact (`follow_up_days`)."
    )
    manager_missing: bool | None = Field(
        None,
        description="Only customers whose tier asks for a dedicated account manager and who "
        "have none (`dedicated_manager`).",
    )
    sort: str | None = Field(None, description="One of " + ", ".join(SORTS) + ".")
    cols: list[str] | None = Field(None, description="Columns: " + ", ".join(COLUMN_KEYS) + ".")


def table_view_of(
    user: User,
    *,
    view: int | None,
    q: str | None,
    tier: str | None,
    tag: str | None,
    city: str | None,
    owner_id: int | None,
    status: str | None,
    kind: str | None,
    purchased_from: dt.date | None,
    purchased_to: dt.date | None,
    min_spend: str | None,
    max_spend: str | None,
    sort: str | None,
    follow_up_due: bool | None = None,
    manager_missing: bool | None = None,
    cols: list[str] | None,
) -> TableView:
    """The view for ``user``: NotFound for a saved view they may not use, ValidationFailed
    naming every bad parameter."""
    base = TableView()
    if view is not None:
        base = TableView.from_dict(saved_view_get(viewer=user, view_id=view).state)
    errors = FieldErrors()
    tiers = {t.code for t in active_programme().programme.ladder.tiers}
    if tier not in (None, "") and tier not in tiers:
        errors.add("tier", _("Unknown tier."))
    if status not in (None, "", "all", *CustomerStatus.values):
        errors.add("status", _("Unknown status."))
    if kind not in (None, "", *CustomerKind.values):
        errors.add("kind", _("Unknown customer type."))
    if sort is not None and sort not in SORTS:
        errors.add("sort", _("Choose one of: %(expected)s.") % {"expected": ", ".join(SORTS)})
    unknown = sorted(set(cols or ()) - set(COLUMN_KEYS))
    if unknown:
        errors.add("cols", _("Choose one of: %(expected)s.") % {"expected": ", ".join(COLUMN_KEYS)})
    given: dict[str, Any] = {
        "q": q,
        "tier": tier,
        "tag": tag,
        "city": city,
        "owner_id": owner_id,
        "status": status,
        "kind": kind,
        "purchased_from": purchased_from,
        "purchased_to": purchased_to,
        "min_spend": amount_filter(min_spend, "min_spend", errors),
        "max_spend": amount_filter(max_spend, "max_spend", errors),
        "follow_up_due": follow_up_due,
        "manager_missing": manager_missing,
    }
    errors.raise_if_any()
    filters: TableFilters = dataclasses.replace(
        base.filters,
        **{k: v for k, v in given.items() if v is not None},
    )
    return dataclasses.replace(
        base,
        filters=filters,
        sort=sort or base.sort or DEFAULT_SORT,
        columns=clean_columns(cols) if cols else base.columns,
    )
