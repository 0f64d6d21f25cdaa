"""The tables the demo writes and the column order the generator emits for each.

Columns a table has but the generator does not emit (for example a field another app adds
later) are filled with the field's default, so the loader keeps working as models grow; a
required column without a default is reported as an error before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from tiercard.customers.bulk_create import CONTACT_COLUMNS as CONTACT_POINT_COLUMNS
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase, PurchaseLine

CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "name",
    "name_en",
    "name_pinyin",
    "name_initials",
    "search_text",
    "name_chars",
    "company_chars",
    "external_id",
    "gender",
    "birthday",
    "birthday_calendar",
    "lunar_birth_month",
    "lunar_birth_day",
    "lunar_birth_leap",
    "occupation",
    "company_name",
    "position",
    "primary_phone",
    "phone_tail",
    "primary_email",
    "province",
    "city",
    "district",
    "address",
    "postal_code",
    "industry",
    "company_size",
    "business_scope",
    "main_products",
    "credit_code",
    "credit_rating",
    "credit_limit",
    "payment_terms",
    "payment_capacity",
    "credit_notes",
    "needs",
    "interests",
    "preferences",
    "special_needs",
    "notes",
    "source_channel",
    "registered_on",
    "owner_id",
    "team_id",
    "status",
    "consent_data",
    "consent_data_at",
    "consent_marketing",
    "consent_marketing_at",
    "consent_source",
    "order_count",
    "total_spend",
    "first_purchase_at",
    "last_purchase_at",
    "last_interaction_at",
    "merged_into_id",
    "version",
    "created_at",
    "updated_at",
    "created_by_id",
)
CONTACT_COLUMNS = (
    "id",
    "customer_id",
    "name",
    "title",
    "department",
    "mobile",
    "phone",
    "email",
    "wechat",
    "is_decision_maker",
    "is_primary",
    "notes",
    "created_at",
)
TAG_LINK_COLUMNS = ("customer_id", "tag_id")
PURCHASE_COLUMNS = (
    "id",
    "customer_id",
    "occurred_at",
    "external_ref",
    "channel",
    "store",
    "sales_rep_id",
    "payment_method",
    "subtotal",
    "discount",
    "total",
    "note",
    "created_at",
    "created_by_id",
)
LINE_COLUMNS = (
    "purchase_id",
    "sku",
    "item_name",
    "quantity",
    "unit_price",
    "discount",
    "amount",
)
INTERACTION_COLUMNS = (
    "customer_id",
    "kind",
    "occurred_at",
    "actor_id",
    "contact_id",
    "summary",
    "outcome",
    "next_step",
    "next_step_due",
    "created_at",
)


@dataclass(frozen=True)
class Table:
    """One table: its model, the generated columns and constant values for the rest."""

    key: str  # attribute name in ChunkRows
    model: type[models.Model]
    columns: tuple[str, ...]
    extra_columns: tuple[str, ...] = ()
    extra_values: tuple[object, ...] = ()

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.extra_columns


def tag_link_model() -> type[models.Model]:
    return Customer.tags.through


# In insertion order: parents before children.
TABLE_SPECS: tuple[tuple[str, type[models.Model] | None, tuple[str, ...]], ...] = (
    ("customers", Customer, CUSTOMER_COLUMNS),
    ("contacts", Contact, CONTACT_COLUMNS),
    ("contact_points", ContactPoint, CONTACT_POINT_COLUMNS),
    ("customer_tags", None, TAG_LINK_COLUMNS),
    ("purchases", Purchase, PURCHASE_COLUMNS),
    ("lines", PurchaseLine, LINE_COLUMNS),
    ("interactions", Interaction, INTERACTION_COLUMNS),
)


class MissingColumnDefault(RuntimeError):
    pass


def resolve_tables(connection: BaseDatabaseWrapper) -> tuple[Table, ...]:
    """The tables with the constant values for columns the generator does not produce."""
    tables = []
    for key, model, columns in TABLE_SPECS:
        model = model or tag_link_model()
        extra_columns: list[str] = []
        extra_values: list[object] = []
        for f in model._meta.concrete_fields:
            if f.column in columns or f.primary_key:
                continue
            if f.has_default():
                value = f.get_db_prep_save(f.get_default(), connection)
            elif f.null:
                value = None
            else:
                raise MissingColumnDefault(
                    f"The demo generator does not fill {model._meta.db_table}.{f.column}, "
                    "which is required and has no default; teach tiercard.demo about it."
                )
            extra_columns.append(f.column)
            extra_values.append(value)
        tables.append(Table(key, model, columns, tuple(extra_columns), tuple(extra_values)))
    return tuple(tables)
