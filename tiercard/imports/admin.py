"""Read-only admin views of import batches: the services are the only writers."""

from __future__ import annotations

from django.contrib import admin

from tiercard.core.admin_base import ReadOnlyAdmin
from tiercard.imports.models import ImportBatch, ImportProblem, MappingProfile


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "filename",
        "status",
        "mode",
        "match_key",
        "rows_total",
        "new_count",
        "updated_count",
        "invalid_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("filename",)


@admin.register(ImportProblem)
class ImportProblemAdmin(ReadOnlyAdmin):
    list_display = ("batch", "row_number", "column", "code", "severity")
    list_filter = ("severity", "code")


@admin.register(MappingProfile)
class MappingProfileAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "owner", "shared", "updated_at")
