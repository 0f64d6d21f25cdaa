"""Import batches and what they leave behind: problems found, changes made, saved mappings.

Invariants:
- a batch's file is stored under the var dir by the service (``stored_path``), never under a
  name the user chose; ``sha256`` identifies the content;
- ``ImportProblem`` rows belong to the batch's latest check or commit (replaced on each run);
  their message is stored in every configured language, so it reads in the viewer's language;
- ``ImportChange`` rows are written in the same transaction as the change they record and are
  what undo works from: ``before`` / ``after`` hold the values the import changed, in the
  shape the owning service accepts (``customer_update`` data keys), so undo can put them back
  through that service and can tell when someone changed them since;
- the import app writes only these rows itself; every customer, purchase, interaction,
  points or tier change goes through the service that owns it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PURCHASES = "purchases", _("Purchases")
    INTERACTIONS = "interactions", _("Interactions")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKED = "checked", _("Checked")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new only")
    UPDATE = "update", _("Update existing only")
    UPSERT = "upsert", _("Create or update")


class MatchKey(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    EXTERNAL_ID = "external_id", _("External id / member number")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    NAME_COMPANY = "name_company", _("Name and company")


CUSTOMER_KEYS = (MatchKey.PHONE, MatchKey.EMAIL, MatchKey.EXTERNAL_ID, MatchKey.CREDIT_CODE)
LINK_KEYS = (MatchKey.PHONE, MatchKey.EXTERNAL_ID, MatchKey.NAME_COMPANY)
"""Keys that find an existing customer: for a customer import, and for linking purchases and
interactions to their customer."""


class ImportBatch(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    filename = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(max_length=20, blank=True)
    sheet = models.CharField(max_length=100, blank=True)
    headers = models.JSONField(default=list, blank=True)  # header texts as in the file
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    mode = models.CharField(
        _("mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.UPSERT
    )
    match_key = models.CharField(
        _("match by"), max_length=16, choices=MatchKey.choices, default=MatchKey.PHONE
    )
    mapping = models.JSONField(default=dict, blank=True)  # {"column index": "field name"}
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)

    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates in the file"), default=0)
    possible_duplicates = models.PositiveIntegerField(_("possible duplicates"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    progress = models.PositiveIntegerField(_("rows done"), default=0)
    error_code = models.CharField(max_length=40, blank=True)  # why the last run failed

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_batch_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_batch_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ImportMode.values), name="import_batch_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(match_key__in=MatchKey.values), name="import_batch_key_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_batch_by")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.filename}"

    def counts(self) -> dict[str, int]:
        """The last run's figures, as the API, the web page, the CLI, the tasks and the audit
        rows show them."""
        return {
            "rows": self.rows_total,
            "new": self.new_count,
            "updated": self.updated_count,
            "unchanged": self.unchanged_count,
            "invalid": self.invalid_count,
            "duplicates": self.duplicate_count,
            "possible_duplicates": self.possible_duplicates,
            "warnings": self.warning_count,
        }

    def field_of_column(self) -> dict[int, str]:
        """The mapping with integer column indexes."""
        return {int(index): name for index, name in (self.mapping or {}).items() if name}


class ProblemSeverity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class ImportProblem(models.Model):
    """One finding about one row (or the whole file when ``row_number`` is 0)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)  # header text
    field = models.CharField(max_length=60, blank=True)
    code = models.CharField(_("code"), max_length=40)
    severity = models.CharField(
        max_length=8, choices=ProblemSeverity.choices, default=ProblemSeverity.ERROR
    )
    messages = models.JSONField(default=dict)  # {language code: text}
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["batch", "row_number", "id"], name="import_problem_row")]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.code}"

    @property
    def message(self) -> str:
        """The text in the active language (falls back to any stored language)."""
        language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
        texts: dict[str, Any] = self.messages or {}
        for code in (language, language.split("-")[0], settings.LANGUAGE_CODE.lower()):
            if code in texts:
                return str(texts[code])
        return str(next(iter(texts.values()), self.code))


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")


class ImportChange(models.Model):
    """One record the batch created or changed, with what undo needs to put it back."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    row_number = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=40)  # app_label.model, e.g. customers.customer
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=ChangeAction.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    undone = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("import change")
        verbose_name_plural = _("import changes")
        ordering = ["id"]
        indexes = [models.Index(fields=["batch", "model", "id"], name="import_change_batch")]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.action} {self.model}:{self.object_id}"


class MappingProfile(models.Model):
    """A saved column mapping: header text (normalised) → field, with the mode and key."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_profiles"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    name = models.CharField(_("name"), max_length=80)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    mapping = models.JSONField(default=dict)  # {normalised header: field name}
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.UPSERT)
    match_key = models.CharField(max_length=16, choices=MatchKey.choices, default=MatchKey.PHONE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mapping profile")
        verbose_name_plural = _("mapping profiles")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "name"], name="import_profile_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
