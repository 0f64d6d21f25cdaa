"""Shared argument handling of the ``tiercard tiers ...`` commands."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from tiercard.accounts.models import User
from tiercard.core.errors import DomainError
from tiercard.core.timeutils import business_today


def day_of(raw: str | None) -> dt.date:
    if not raw:
        return business_today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {raw!r}.") from None


def user_of(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user named {username!r}.")
    return user


def failed(error: DomainError) -> CommandError:
    """A domain error as a command error that names its stable code."""
    fields = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in error.fields.items())
    return CommandError(f"{error.code}: {error.message}" + (f" ({fields})" if fields else ""))
