"""The viewer's scope, applied to live rows of customers and to precomputed groups.

``scoped`` narrows a queryset of rows that belong to a customer to the customers the viewer
sees. When the viewer sees every customer (``visible_customers`` has no condition), nothing
is added: the read then uses the table's own indexes alone.

``visible_groups`` narrows precomputed figures (keyed by owner, team and tier, see ``models``)
to the groups the viewer sees into. Visibility is decided by owner and team alone, so a group
is wholly visible or not at all, and it is enough to ask ``visible_customers`` about the
group's sample customer: one primary-key lookup per group (asking "is there any visible
customer with this owner and team" instead scanned a team's customers for every group a
manager does *not* see: two minutes at a million customers).
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Exists, Model, OuterRef, QuerySet

from tiercard.accounts.models import User
from tiercard.customers.selectors import visible_customers

M = TypeVar("M", bound=Model)


def scoped(qs: QuerySet[M], viewer: User, path: str = "customer") -> QuerySet[M]:
    """``qs`` limited to rows whose ``path`` customer the viewer may see."""
    visible = visible_customers(viewer)
    if not visible.query.where:
        return qs
    return qs.filter(**{f"{path}__in": visible.values("pk")})


def visible_groups(qs: QuerySet[M], viewer: User) -> QuerySet[M]:
    """Figures (monthly or current) of the groups the viewer sees into."""
    from tiercard.analytics.models import CurrentFigure

    visible = visible_customers(viewer)
    if not visible.query.where:
        return qs
    sample_seen = Exists(visible.filter(pk=OuterRef("sample_id")))
    if qs.model is CurrentFigure:
        return qs.filter(sample_seen)
    group = CurrentFigure.objects.filter(
        owner_key=OuterRef("owner_key"), team_key=OuterRef("team_key"), tier=OuterRef("tier")
    ).filter(sample_seen)
    return qs.filter(Exists(group))


def customer_seen(qs: QuerySet[M], viewer: User, field: str = "customer_id") -> QuerySet[M]:
    """Rows whose customer (an id column) the viewer may see: a primary-key probe per row."""
    visible = visible_customers(viewer)
    if not visible.query.where:
        return qs
    return qs.filter(Exists(visible.filter(pk=OuterRef(field))))
