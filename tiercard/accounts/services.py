"""Writes to users and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import ApiToken, User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import PermissionDenied, ValidationFailed

TOKEN_PREFIX = "tc_"


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's interface language (one of settings.LANGUAGES)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationFailed(fields={"language": [_("Unsupported language.")]})
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def api_token_create(
    *, actor: User, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns (token, secret). The secret is shown once only.

    Users issue their own tokens; only admins issue tokens for others.
    """
    if actor.pk != user.pk and actor.role != "admin":
        raise PermissionDenied()
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(fields={"name": [_("Give the token a name of 1–80 characters.")]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_prefix=secret[:8],
            key_hash=ApiToken.hash_key(secret),
            expires_at=expires,
        )
        audit_record(actor=actor, action=AuditAction.TOKEN, obj=token, note=f"issued {name}")
    return token, secret


def api_token_revoke(*, actor: User, token_id: int) -> None:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and actor.role != "admin"):
        raise PermissionDenied()
    with transaction.atomic():
        ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(actor=actor, action=AuditAction.TOKEN, obj=token, note="revoked")


def api_token_authenticate(secret: str) -> User | None:
    """The active user behind a token, or None. Touches ``last_used_at`` at most once a minute."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(key_hash=ApiToken.hash_key(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def audit_login(sender: object, request: object, user: User, **kwargs: object) -> None:
    """Receiver of ``user_logged_in``: one audit row per sign-in, with the interface."""
    audit_record(actor=user, action=AuditAction.LOGIN, obj=user)
