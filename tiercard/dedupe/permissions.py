"""Who may review duplicates, merge cards and undo merges.

Managers and admins only, like archiving (``accounts.policy.can_archive_customers``): a merge
archives one card. Each pair and each merge must also lie wholly inside the reviewer's scope
(both cards visible), so a manager reviews their team's duplicates and an admin everyone's.
Sales reps do not see the queue at all: a pair shows two cards, and deciding it is a
manager's call; when a rep creates a card, the create form warns of possible duplicates
among the rep's own customers instead. Running the scan over the whole base is an admin's.
"""

from __future__ import annotations

from tiercard.accounts.models import Role, User
from tiercard.accounts.policy import is_active


def can_review_duplicates(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER}


def can_run_scan(user: User) -> bool:
    return is_active(user) and user.role == Role.ADMIN
