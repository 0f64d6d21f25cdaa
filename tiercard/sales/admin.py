from django.contrib import admin

from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.sales.models import Purchase, PurchaseLine


class PurchaseLineInline(admin.TabularInline):
    model = PurchaseLine
    extra = 0
    fields = ("sku", "item_name", "quantity", "unit_price", "discount", "amount")
    readonly_fields = fields
    can_delete = False


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "customer",
        "occurred_at",
        "total",
        "channel",
        "payment_method",
        "external_ref",
    )
    list_filter = ("channel", "payment_method")
    search_fields = ("external_ref", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "sales_rep", "created_by")
    inlines = (PurchaseLineInline,)
    show_full_result_count = False
