"""The viewer's scope for aggregate reads, and a key that names it.

``scoped`` narrows a queryset of rows that belong to a customer to the customers the viewer
sees. When the viewer sees every customer (``visible_customers`` has no condition), no
``IN (SELECT …)`` is added: the figure then reads the table alone, which at a million
customers is the difference between a range scan and a join.

``scope_key`` names the scope by the SQL of ``visible_customers`` itself, so two viewers share
cached figures exactly when the one scoping rule gives them the same customers (all
administrators, service and marketing staff share one key; each sales rep has their own).
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

from django.core.exceptions import EmptyResultSet
from django.db.models import Model, QuerySet

from tiercard.accounts.models import User
from tiercard.customers.selectors import visible_customers

M = TypeVar("M", bound=Model)


def sees_everyone(viewer: User) -> bool:
    return not visible_customers(viewer).query.where


def scoped(qs: QuerySet[M], viewer: User, path: str = "customer") -> QuerySet[M]:
    """``qs`` limited to rows whose ``path`` customer the viewer may see."""
    visible = visible_customers(viewer)
    if not visible.query.where:
        return qs
    return qs.filter(**{f"{path}__in": visible.values("pk")})


def scope_key(viewer: User) -> str | None:
    """A short stable name of the viewer's scope; ``None`` when they see no one."""
    try:
        sql, params = visible_customers(viewer).query.sql_with_params()
    except EmptyResultSet:
        return None
    return hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()[:24]
