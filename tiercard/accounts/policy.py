"""What each role may do. Pure functions over the user; row scoping is in customers.selectors.

The matrix (customer records):

=========  ============  ============  ===========  ============  ==================
role       see           create        update       archive       full phone
=========  ============  ============  ===========  ============  ==================
admin      all           yes           all          all           yes
manager    own team      yes (team)    own team     own team      yes
sales      own           yes (self)    own          no            yes (own records)
service    all           no            no           no            masked; reveal if granted
marketing  all           no            no           no            masked; reveal if granted
=========  ============  ============  ===========  ============  ==================

Everyone who can see a customer can log an interaction on it. Purchases are recorded by the
roles that may update the customer, and by service staff (a till or after-sales counter).
"""

from __future__ import annotations

from tiercard.accounts.models import Role, User

SEE_ALL = frozenset({Role.ADMIN, Role.SERVICE, Role.MARKETING})
MASKED_BY_DEFAULT = frozenset({Role.SERVICE, Role.MARKETING})


def is_active(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_create_customer(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER, Role.SALES}


def can_update_customers(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER, Role.SALES}


def can_archive_customers(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER}


def can_assign_owner(user: User) -> bool:
    """Only managers and admins hand customers to another account manager."""
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER}


def can_record_purchase(user: User) -> bool:
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE}


def can_log_interaction(user: User) -> bool:
    return is_active(user)


def sees_masked_pii(user: User) -> bool:
    """True when phones and emails are shown masked to this user by default."""
    return user.role in MASKED_BY_DEFAULT


def can_reveal_pii(user: User) -> bool:
    return is_active(user) and (not sees_masked_pii(user) or user.can_reveal_pii)


def can_use_admin_site(user: User) -> bool:
    return is_active(user) and user.role == Role.ADMIN


def can_adjust_points(user: User) -> bool:
    """Manual points adjustments and cancelled redemptions: managers and admins only.

    Redeeming points is a counter task and follows ``can_record_purchase``.
    """
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER}


def can_approve_overrides(user: User) -> bool:
    """Approve or reject tier override requests (of customers they see, never their own), and
    set an override directly: managers and administrators."""
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER}


def can_manage_programme(user: User) -> bool:
    """Tier ladders, benefits and points rules (every programme page and service): the
    programme is configured by administrators only."""
    return is_active(user) and user.role == Role.ADMIN


def can_manage_rewards(user: User) -> bool:
    """The reward catalogue is part of the programme an administrator configures."""
    return is_active(user) and user.role == Role.ADMIN


TICKET_HANDLERS = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE})


def can_handle_tickets(user: User) -> bool:
    """Open, answer, resolve and reopen service tickets of the customers the user sees.
    Marketing reads them (the card, the queue) but does not work them."""
    return is_active(user) and user.role in TICKET_HANDLERS


def can_assign_tickets(user: User) -> bool:
    """Hand a ticket to someone else: the service desk and managers dispatch work."""
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER, Role.SERVICE}
