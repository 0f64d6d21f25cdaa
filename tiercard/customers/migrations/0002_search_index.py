"""The customer search index (see ``tiercard.customers.search_index``).

Adds the per-character columns, fills them for existing cards, then builds each database's
own text index: an FTS5 table kept by triggers on SQLite; GIN indexes (character arrays and
pg_trgm) on PostgreSQL. Each vendor's SQL runs only on that vendor. The SQL is written out
here rather than imported, so the migration keeps meaning what it meant when it was written.
"""

import re
import unicodedata

from django.db import migrations, models

BATCH = 5000

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff\uf900-\ufaff]+")


def _fold(text):
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def _chars(text):
    return " ".join(_TOKEN.findall(unicodedata.normalize("NFKC", _fold(text or "")).lower()))


NEW_COLUMNS = ("name_chars", "company_chars")


def _new_field(name):
    field = models.TextField(blank=True, default="", editable=False)
    field.set_attributes_from_name(name)
    return field


def add_columns(apps, schema_editor):
    """The two columns, without copying the table on SQLite.

    Django adds a NOT NULL column on SQLite by rebuilding the table (a copy of every row);
    SQLite's own ADD COLUMN takes a NOT NULL column with a constant default at once.
    """
    customer = apps.get_model("customers", "Customer")
    for name in NEW_COLUMNS:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                f"ALTER TABLE customers_customer ADD COLUMN {name} text NOT NULL DEFAULT ''"
            )
        else:
            schema_editor.add_field(customer, _new_field(name))


def drop_columns(apps, schema_editor):
    customer = apps.get_model("customers", "Customer")
    for name in reversed(NEW_COLUMNS):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"ALTER TABLE customers_customer DROP COLUMN {name}")
        else:
            schema_editor.remove_field(customer, _new_field(name))


def backfill(apps, schema_editor):
    """Fill name_chars / company_chars of existing cards in batches, by raw SQL."""
    connection = schema_editor.connection
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, name, company_name FROM customers_customer WHERE id > %s "
                "ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(
                "UPDATE customers_customer SET name_chars = %s, company_chars = %s WHERE id = %s",
                [(_chars(name), _chars(company), pk) for pk, name, company in rows],
            )
            last = rows[-1][0]


SQLITE_FORWARD = [
    # External content: the index reads its text from the customer table, stores only terms.
    "CREATE VIRTUAL TABLE customers_search USING fts5("
    "name_chars, company_chars, search_text, "
    "content='customers_customer', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER customers_search_ai AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_search(rowid, name_chars, company_chars, search_text) "
    "VALUES (new.id, new.name_chars, new.company_chars, new.search_text); END",
    "CREATE TRIGGER customers_search_ad AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_search(customers_search, rowid, name_chars, company_chars, "
    "search_text) VALUES ('delete', old.id, old.name_chars, old.company_chars, "
    "old.search_text); END",
    # Only when an indexed column really changed: saves that rewrite every column (purchase
    # aggregates, status) leave the index alone.
    "CREATE TRIGGER customers_search_au AFTER UPDATE OF name_chars, company_chars, search_text "
    "ON customers_customer WHEN old.name_chars IS NOT new.name_chars "
    "OR old.company_chars IS NOT new.company_chars OR old.search_text IS NOT new.search_text "
    "BEGIN "
    "INSERT INTO customers_search(customers_search, rowid, name_chars, company_chars, "
    "search_text) VALUES ('delete', old.id, old.name_chars, old.company_chars, "
    "old.search_text); "
    "INSERT INTO customers_search(rowid, name_chars, company_chars, search_text) "
    "VALUES (new.id, new.name_chars, new.company_chars, new.search_text); END",
    "INSERT INTO customers_search(customers_search) VALUES ('rebuild')",
    # Exact and prefix lookups on the name and the email (binary order = index order).
    "CREATE INDEX customer_name ON customers_customer (name)",
    "CREATE INDEX customer_email ON customers_customer (primary_email)",
]
SQLITE_REVERSE = [
    "DROP INDEX IF EXISTS customer_email",
    "DROP INDEX IF EXISTS customer_name",
    "DROP TRIGGER IF EXISTS customers_search_au",
    "DROP TRIGGER IF EXISTS customers_search_ad",
    "DROP TRIGGER IF EXISTS customers_search_ai",
    "DROP TABLE IF EXISTS customers_search",
]

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Any number of Chinese characters: the rows holding all of them, then a LIKE recheck.
    "CREATE INDEX customer_name_chars ON customers_customer "
    "USING gin (string_to_array(name_chars, ' '))",
    "CREATE INDEX customer_company_chars ON customers_customer "
    "USING gin (string_to_array(company_chars, ' '))",
    # Word prefixes anywhere in pinyin, readings, phone digits, email, external id.
    "CREATE INDEX customer_search_trgm ON customers_customer USING gin (search_text gin_trgm_ops)",
    # Exact / prefix lookups in byte order whatever the database's collation.
    'CREATE INDEX customer_name_c ON customers_customer ((name COLLATE "C"))',
    'CREATE INDEX customer_pinyin_c ON customers_customer ((name_pinyin COLLATE "C"))',
    'CREATE INDEX customer_initials_c ON customers_customer ((name_initials COLLATE "C"))',
    'CREATE INDEX customer_email_c ON customers_customer ((primary_email COLLATE "C"))',
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS customer_email_c",
    "DROP INDEX IF EXISTS customer_initials_c",
    "DROP INDEX IF EXISTS customer_pinyin_c",
    "DROP INDEX IF EXISTS customer_name_c",
    "DROP INDEX IF EXISTS customer_search_trgm",
    "DROP INDEX IF EXISTS customer_company_chars",
    "DROP INDEX IF EXISTS customer_name_chars",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name=name,
                    field=models.TextField(blank=True, default="", editable=False),
                )
                for name in NEW_COLUMNS
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
