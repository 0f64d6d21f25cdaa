"""Named groups of the customer model's fields, for code that shows or copies a whole card.

The API's full card and the personal-data copy both list the card field by field; they
build their lists from these groups, so a field added to the card reaches both (a field
missing from the copy would be personal data withheld from its subject).
"""

from __future__ import annotations

# What was typed or chosen about the customer, in the card's order.
PROFILE_FIELDS = (
    "kind",
    "name",
    "name_en",
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
    "status",
)

CONSENT_FIELDS = (
    "consent_data",
    "consent_data_at",
    "consent_marketing",
    "consent_marketing_at",
    "consent_source",
)

# Kept up to date from purchases and interactions; never typed in.
FIGURE_FIELDS = (
    "order_count",
    "total_spend",
    "first_purchase_at",
    "last_purchase_at",
    "last_interaction_at",
)
