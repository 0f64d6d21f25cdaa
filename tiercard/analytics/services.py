"""The one write of the analytics read side: the audit row of a dashboard export."""

from __future__ import annotations

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.audit.services import audit_record


def dashboard_export_record(*, actor: User, figure: str, rows: int) -> AuditEvent:
    """Audit a CSV download of one dashboard figure (aggregates only, no personal data)."""
    return audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="dashboard",
        object_id=figure,
        changes={"rows": rows},
        note=f"dashboard {figure}.csv",
    )
