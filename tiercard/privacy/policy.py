"""Who may take personal data out of the system, or erase it. Pure functions over the user.

=========  =====================  ==========================  ==================
role       full-data exports      one customer's data (PIPL)  erasure
=========  =====================  ==========================  ==================
admin      all customers          yes                         yes
manager    own team's customers   own team's customers        no
marketing  all, contacts masked   no                          no
sales      no                     no                          no
service    no                     no                          no
=========  =====================  ==========================  ==================

Full-data exports follow the member table's export (``listviews.export``): the roles that
analyse and hand data on. A data subject's copy is unmasked, so it is for the roles that answer
rights requests and see full contact values in their scope. Erasure cannot be undone: admins.
"""

from __future__ import annotations

from tiercard.accounts.models import Role, User
from tiercard.accounts.policy import is_active, sees_masked_pii
from tiercard.listviews.export import can_export_member_table


def can_export_full_data(user: User) -> bool:
    return can_export_member_table(user)


def can_export_personal_data(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER} and not sees_masked_pii(user)


def can_erase_customer(user: User) -> bool:
    return is_active(user) and user.role == Role.ADMIN
