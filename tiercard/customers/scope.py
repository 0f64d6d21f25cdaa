"""Who sees which customers: the one definition, rendered two ways.

``scope_of(viewer)`` states a viewer's scope once; ``Scope.q()`` renders it as a queryset
filter (``visible_customers`` and every list, search, export and report built on it) and
``Scope.admits(owner_id, team_id)`` as a test of one row already read — the checkout's hot
path reads the card with one plain statement and must not compile a filtered query for it.
Both come from the same fields, and a test holds them equal for every role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tiercard.accounts.models import Role, User
from tiercard.accounts.policy import is_active


@dataclass(frozen=True)
class Scope:
    """Everyone, no one, or the customers one user owns (plus, for a manager, a team's)."""

    everyone: bool = False
    owner_id: int | None = None
    team_id: int | None = None

    def q(self) -> Q | None:
        """The filter; ``None`` for everyone. No one: a filter that matches nothing."""
        if self.everyone:
            return None
        if self.owner_id is None:
            return Q(pk__in=[])
        mine = Q(owner_id=self.owner_id)
        return mine if self.team_id is None else Q(team_id=self.team_id) | mine

    def admits(self, owner_id: int | None, team_id: int | None) -> bool:
        if self.everyone:
            return True
        if self.owner_id is None:
            return False
        return owner_id == self.owner_id or (self.team_id is not None and team_id == self.team_id)


NOBODY = Scope()
EVERYONE = Scope(everyone=True)


def scope_of(viewer: User) -> Scope:
    """Inactive users see no one; admin, service and marketing everyone; a manager their
    team's customers and their own; a sales rep their own."""
    if not is_active(viewer):
        return NOBODY
    if viewer.role in {Role.ADMIN, Role.SERVICE, Role.MARKETING}:
        return EVERYONE
    if viewer.role == Role.MANAGER:
        return Scope(owner_id=viewer.pk, team_id=viewer.team_id)
    if viewer.role == Role.SALES:
        return Scope(owner_id=viewer.pk)
    return NOBODY
