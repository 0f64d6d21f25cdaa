"""Quick actions on the card besides purchases and interactions: add or edit a note, hand the
customer to another owner, add or remove a tag.

Each works with htmx (the part it changes comes back with the errors beside the field and what
was typed kept, or refreshed with a message; ``HX-Trigger`` tells the timeline to reload) and
without (a redirect back to the card, or the card with the errors). The rules are checked by
the services: ``cards.notes`` and ``customers.card_actions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.cards.account_manager import owner_change
from tiercard.cards.notes import can_edit_note, note_add, note_edit, visible_notes
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.card_actions import (
    customer_tag_add,
    customer_tag_remove,
)
from tiercard.customers.models import Customer
from tiercard.customers.selectors import customer_get
from tiercard.web import card_forms, presenters
from tiercard.web.errors import web_view
from tiercard.web.forms import apply_errors
from tiercard.web.requests import is_htmx, viewer
from tiercard.web.views import card

DETAIL = card.DETAIL


def _facts_changed(request: HttpRequest, user: User, fresh: Customer, message: str) -> HttpResponse:
    """The side facts (owner, tags) after a change: re-rendered, a message, the timeline told."""
    return _part(
        request,
        fresh,
        "facts",
        card.facts_context(user, fresh),
        message=message,
        events=("timeline-changed",),
    )


def _part(
    request: HttpRequest,
    customer: Customer,
    part: str,
    extra: dict[str, Any],
    *,
    message: str = "",
    events: tuple[str, ...] = (),
) -> HttpResponse:
    """The refreshed part (htmx) with an optional message and events; else back to the card."""
    if not is_htmx(request):
        if message:
            messages.success(request, message)
            return redirect(reverse("web:customer_detail", args=[customer.pk]) + f"#card-{part}")
        # Errors without JavaScript: the whole card, with this form bound.
        context = {**card.card_context(request, customer), **extra}
        return render(request, DETAIL, context)
    context = {**card.base_context(request, customer), **extra}
    response = render(request, f"{DETAIL}#card-{part}", context)
    if message:
        flash = render(request, "web/card/_flash.html", {"flash_message": message})
        response.content += flash.content
    for event in events:
        response = trigger_client_event(response, event)
    return response


# --- Notes ------------------------------------------------------------------------------------


@web_view
@require_POST
def note_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    form = card_forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            note_add(actor=user, customer_id=customer.pk, body=form.cleaned_data["body"])
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            return _part(
                request,
                customer,
                "notes",
                card.notes_context(user, customer),
                message=_("Note added."),
                events=("timeline-changed",),
            )
    return _part(request, customer, "notes", card.notes_context(user, customer, form))


@web_view
@require_http_methods(["GET", "POST"])
def note_edit_view(request: HttpRequest, pk: int, note_id: int) -> HttpResponse:
    """GET: the note's text in a form (htmx swaps it in place); POST: save it."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    note = visible_notes(user).filter(pk=note_id, customer_id=customer.pk).first()
    if note is None:
        raise NotFound()
    if not can_edit_note(user, note):
        raise PermissionDenied()
    prefix = f"note-{note.pk}"
    if request.method == "GET":
        form = card_forms.NoteForm(prefix=prefix, initial={"body": note.body})
    else:
        form = card_forms.NoteForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                note_edit(actor=user, note_id=note.pk, body=form.cleaned_data["body"])
            except ValidationFailed as error:
                apply_errors(form, error.fields)
            else:
                response = _part(
                    request,
                    customer,
                    "notes",
                    card.notes_context(user, customer),
                    message=_("Note saved."),
                    events=("timeline-changed",),
                )
                # The edit form swaps only its own row; the saved note refreshes the list.
                return reswap(retarget(response, "#card-notes"), "outerHTML")
    context = {**card.base_context(request, customer), "note": note, "edit_form": form}
    if is_htmx(request):
        return render(request, f"{DETAIL}#note-edit", context)
    return render(request, "web/card/note_edit.html", context)


# --- Owner ------------------------------------------------------------------------------------


@web_view
@require_POST
def owner_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_assign_owner(user):
        raise PermissionDenied()
    form = card_forms.OwnerForm(request.POST, owners=presenters.owner_choices(user) or [])
    if form.is_valid():
        try:
            owner_change(
                actor=user, customer_id=customer.pk, owner_id=form.cleaned_data["owner_id"]
            )
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            fresh = customer_get(viewer=user, customer_id=customer.pk)
            name = fresh.owner or _("nobody")
            message = _("Account manager changed to %(name)s.") % {"name": name}
            return _facts_changed(request, user, fresh, message)
    return _part(request, customer, "facts", card.facts_context(user, customer, owner_form=form))


# --- Tags -------------------------------------------------------------------------------------


@web_view
@require_POST
def tag_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_update_customers(user):
        raise PermissionDenied()
    form = card_forms.TagForm(request.POST)
    if form.is_valid():
        try:
            customer_tag_add(actor=user, customer_id=customer.pk, name=form.cleaned_data["tag"])
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            fresh = customer_get(viewer=user, customer_id=customer.pk)
            return _facts_changed(request, user, fresh, _("Tag added."))
    return _part(request, customer, "facts", card.facts_context(user, customer, tag_form=form))


@web_view
@require_http_methods(["GET", "POST"])
def tag_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The × of a tag asks first: a confirmation in the chip's place (htmx) or a page; only
    a post carrying ``confirm=1`` (the confirmation's button) takes the tag off."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        customer_tag_remove(actor=user, customer_id=customer.pk, name=request.POST.get("tag", ""))
        fresh = customer_get(viewer=user, customer_id=customer.pk)
        return _facts_changed(request, user, fresh, _("Tag removed."))
    if not policy.can_update_customers(user):
        raise PermissionDenied()
    name = str((request.POST if request.method == "POST" else request.GET).get("tag", ""))
    if not customer.tags.filter(name=name).exists():
        raise NotFound()
    context = {"customer": customer, "tag": name}
    if is_htmx(request):
        response = render(request, "web/card/_tag_confirm.html", context)
        return reswap(retarget(response, "closest li"), "outerHTML")
    return render(request, "web/card/tag_remove_confirm.html", context)
