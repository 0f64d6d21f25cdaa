"""Interactions (沟通记录) with a customer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from tiercard.api.auth import viewer
from tiercard.api.customer_pages import customer_records_page
from tiercard.api.errors import error_responses
from tiercard.api.paging import PageCursor, PageLimit
from tiercard.api.schemas import InteractionIn, InteractionOut, InteractionPage
from tiercard.api.serializers import interaction_out
from tiercard.interactions.selectors import interaction_list
from tiercard.interactions.services import interaction_log

router = Router(tags=["interactions"])


@router.get(
    "/customers/{int:customer_id}/interactions",
    response={200: InteractionPage, **error_responses(404)},
)
def list_interactions(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    return customer_records_page(
        viewer=viewer(request),
        customer_id=customer_id,
        select=interaction_list,
        name="interactions",
        out=interaction_out,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/customers/{int:customer_id}/interactions",
    response={201: InteractionOut, **error_responses(403, 404)},
)
def log_interaction(request: HttpRequest, customer_id: int, payload: InteractionIn) -> Status:
    user = viewer(request)
    interaction = interaction_log(
        actor=user, customer_id=customer_id, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, interaction_out(interaction))
