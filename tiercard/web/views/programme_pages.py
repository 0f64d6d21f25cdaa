"""What the programme pages share: who may open them, and how a new draft's outcome is told.

Invariants: every programme page (versions, drafts as JSON or as a form, dry run, apply,
benefits) is for active administrators only; anyone else gets 403 and nothing is written.
A draft saved by either editor (JSON or form) is announced with the same message
and leads to its dry run, never straight to applying it; a refused draft is said to be unsaved
in the same words wherever the page has no message of its own (the form editor counts its
problems in its template).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.core.errors import PermissionDenied
from tiercard.loyalty.models import TierLadder
from tiercard.web.requests import viewer


def admin_only(request: HttpRequest) -> User:
    """The request's user if an active administrator; else ``PermissionDenied`` (403)."""
    user = viewer(request)
    if not policy.can_manage_programme(user):
        raise PermissionDenied()
    return user


def draft_saved(request: HttpRequest, draft: TierLadder) -> HttpResponse:
    """Say the draft was saved and go to its dry run (applying stays a separate step)."""
    messages.success(
        request,
        _("Draft v%(version)d saved. Check the dry run before applying it.")
        % {"version": draft.version},
    )
    return redirect("web:loyalty_dry_run", version=draft.version)


def draft_not_saved() -> str:
    """The line above a refused draft's problems, in the request's language."""
    return _("The draft was not saved: correct the problems listed.")
