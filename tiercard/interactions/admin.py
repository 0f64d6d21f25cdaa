from django.contrib import admin

from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.interactions.models import Interaction


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "kind", "occurred_at", "actor", "outcome", "next_step_due")
    list_filter = ("kind", "outcome")
    search_fields = ("summary", "customer__name")
    list_select_related = ("customer", "actor")
    raw_id_fields = ("customer", "actor", "contact")
    show_full_result_count = False
