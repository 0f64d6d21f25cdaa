"""Contact persons (联系人) of a customer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.schemas import ContactCreateIn, ContactOut, ContactPatchIn, ContactRevealOut
from tiercard.api.serializers import contact_out
from tiercard.api.throttles import reveal_throttle
from tiercard.customers import contact_persons
from tiercard.customers.selectors import customer_get

router = Router(tags=["contacts"])


@router.get(
    "/customers/{int:customer_id}/contacts",
    response={200: list[ContactOut], **error_responses(404)},
)
def list_contacts(request: HttpRequest, customer_id: int) -> list[dict[str, Any]]:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=customer_id)
    return [contact_out(user, c) for c in customer.contacts.all()]


@router.post(
    "/customers/{int:customer_id}/contacts",
    response={201: ContactOut, **error_responses(403, 404)},
)
def add_contact(request: HttpRequest, customer_id: int, payload: ContactCreateIn) -> Status:
    user = viewer(request)
    contact = contact_persons.contact_add(
        actor=user, customer_id=customer_id, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, contact_out(user, contact))


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **error_responses(403, 404)})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatchIn) -> Any:
    user = viewer(request)
    contact = contact_persons.contact_update(
        actor=user, contact_id=contact_id, data=payload.model_dump(exclude_unset=True)
    )
    return contact_out(user, contact)


@router.delete("/contacts/{int:contact_id}", response={204: None, **error_responses(403, 404)})
def delete_contact(request: HttpRequest, contact_id: int) -> Status:
    contact_persons.contact_remove(actor=viewer(request), contact_id=contact_id)
    return Status(204, None)


@router.post(
    "/contacts/{int:contact_id}/reveal",
    response={200: ContactRevealOut, **error_responses(403, 404)},
    throttle=[reveal_throttle],
)
def reveal_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    """Unmasked phone, email and WeChat of a contact person; audit-logged."""
    revealed = contact_persons.contact_reveal_pii(actor=viewer(request), contact_id=contact_id)
    return {"contact_id": contact_id, "values": revealed}
