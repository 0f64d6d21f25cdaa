"""Who may import what, and whose batches a user sees.

=========  =========  =========  ============  ======  ======================
role       customers  purchases  interactions  undo    batches seen
=========  =========  =========  ============  ======  ======================
admin      yes        yes        yes           yes     all
manager    yes        yes        yes           yes     own and their team's
sales      yes        yes        yes           no      own
service    no         yes        yes           no      own
marketing  no         no         no            no      none
=========  =========  =========  ============  ======  ======================

Importing customers needs the right to create and update cards; purchases follow
``policy.can_record_purchase``; interactions are counter and field work (marketing logs
campaigns, not imports). Undo archives customers and reverses purchases: a manager's action.
Opening points and tier overrides from a sheet additionally need the loyalty rights
(``can_adjust_points``, the override roles); without them those cells are skipped with a
warning. Which *rows* an importer may touch is the customer scope (``visible_customers``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.imports.models import ImportBatch, ImportKind

IMPORT_ROLES: dict[str, frozenset[str]] = {
    ImportKind.CUSTOMERS: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
    ImportKind.PURCHASES: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE}),
    ImportKind.INTERACTIONS: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE}),
}
UNDO_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
OVERRIDE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def can_import(user: User, kind: str | None = None) -> bool:
    """Whether ``user`` may import ``kind`` (any kind when ``None``)."""
    if not policy.is_active(user):
        return False
    if kind is None:
        return any(user.role in roles for roles in IMPORT_ROLES.values())
    return user.role in IMPORT_ROLES.get(kind, frozenset())


def can_undo_import(user: User) -> bool:
    return policy.is_active(user) and user.role in UNDO_ROLES


def can_set_opening_points(user: User) -> bool:
    return policy.can_adjust_points(user)


def can_set_tier(user: User) -> bool:
    return policy.is_active(user) and user.role in OVERRIDE_ROLES


def batches_visible_to(user: User) -> QuerySet[ImportBatch]:
    """The batches ``user`` may see (see the table above)."""
    if not can_import(user):
        return ImportBatch.objects.none()
    if user.role == Role.ADMIN:
        return ImportBatch.objects.all()
    if user.role == Role.MANAGER and user.team_id is not None:
        return ImportBatch.objects.filter(Q(created_by=user) | Q(created_by__team_id=user.team_id))
    return ImportBatch.objects.filter(created_by=user)
