"""Interactions (沟通记录) with a customer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.paging import NEWEST_FIRST, PageCursor, PageLimit, paginate
from tiercard.api.schemas import InteractionIn, InteractionOut, InteractionPage
from tiercard.api.serializers import interaction_out
from tiercard.customers.selectors import customer_ensure_visible
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
    user = viewer(request)
    customer_ensure_visible(viewer=user, customer_id=customer_id)
    page = paginate(
        interaction_list(viewer=user, customer_id=customer_id),
        name="interactions",
        spec=NEWEST_FIRST,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [interaction_out(i) for i in page.items], "next": page.next}


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
