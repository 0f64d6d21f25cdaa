from django.contrib import admin

from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.servicedesk.models import ServiceTicket


@admin.register(ServiceTicket)
class ServiceTicketAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "kind", "subject", "status", "priority", "respond_by")
    list_filter = ("status", "kind", "priority")
    search_fields = ("subject", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "opened_by", "assignee", "responded_by", "resolved_by")
    show_full_result_count = False
