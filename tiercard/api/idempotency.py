"""The reference that makes a recording call idempotent (purchases, returns).

Every ingest path records a source document once: the web forms carry a key issued with the
form, imports use the order number (or a reference derived from the row's content), and the
API asks the client for one — the `Idempotency-Key` header or the body's `external_ref`.
A call with neither is refused (422 `reference_required`, nothing written) rather than
recorded without one: a client that retries after a timeout would otherwise count the
purchase, its growth value and its points twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext_lazy as _
from ninja import Header

from tiercard.core.errors import ValidationFailed
from tiercard.core.text import clean_text

REFERENCE_HELP = (
    "Your reference; makes the call idempotent. Required unless the Idempotency-Key header is sent."
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=64,
        description="Used as external_ref when the body has none; one of the two is required.",
    ),
]


def with_reference(data: dict[str, Any], header: str | None) -> dict[str, Any]:
    """``data`` with ``external_ref`` set from the header when the body has none.

    Raises ValidationFailed naming ``external_ref`` when the two differ, or when neither is
    given (code ``reference_required``)."""
    key = clean_text(header or "")
    body_ref = clean_text(str(data.get("external_ref") or ""))
    if key and body_ref and key != body_ref:
        raise ValidationFailed(
            fields={"external_ref": [_("The Idempotency-Key header and external_ref differ.")]}
        )
    if not key and not body_ref:
        raise ValidationFailed(
            _("Send an Idempotency-Key header or external_ref, so a retry is recorded once."),
            code="reference_required",
            fields={"external_ref": [_("An Idempotency-Key header or external_ref is required.")]},
        )
    return {**data, "external_ref": body_ref or key}
