from django.contrib import admin

from tiercard.audit.models import AuditEvent
from tiercard.core.admin_base import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor_label",
        "interface",
        "action",
        "object_type",
        "object_id",
        "customer_id",
    )
    list_filter = ("action", "interface", "object_type")
    search_fields = ("actor_label", "object_id", "note")
    date_hierarchy = "at"
