from django.contrib import admin

from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.customers.models import Contact, ContactPoint, Customer, Tag


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    fields = ("kind", "value", "normalized", "is_primary", "opted_out")
    readonly_fields = fields
    can_delete = False


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "title", "mobile", "email", "is_decision_maker", "is_primary")
    readonly_fields = fields
    can_delete = False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "name",
        "kind",
        "city",
        "owner",
        "team",
        "status",
        "order_count",
        "total_spend",
        "registered_on",
    )
    list_filter = ("status", "kind", "team", "source_channel", "company_size")
    search_fields = (
        "name",
        "name_pinyin",
        "name_initials",
        "phone_tail",
        "company_name",
        "external_id",
        "credit_code",
    )
    list_select_related = ("owner", "team")
    inlines = (ContactPointInline, ContactInline)
    show_full_result_count = False  # no COUNT(*) over a million rows on every page


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "color")
    search_fields = ("name",)
