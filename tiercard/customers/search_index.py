"""The customer search index: what is indexed, and how each database keeps it.

Two derived columns on :class:`~tiercard.customers.models.Customer` carry the text the
substring search needs, one token per Chinese character (张三丰 → ``张 三 丰``; runs of
letters or digits stay one word, lower-cased): ``name_chars`` and ``company_chars``. Together
with ``search_text`` (pinyin, initials, other readings, phone digits, email, external id)
they are written by ``customers.services`` for every card and by the demo loader for its bulk
rows, both through :func:`char_tokens` and :func:`search_words`, so the two paths cannot drift.

How the databases index them (created by migration ``0002_search_index``):

- SQLite: an FTS5 table ``customers_search`` with external content (the customer table; it
  stores only the index), columns ``name_chars``, ``company_chars``, ``search_text``, kept in
  sync by triggers on insert, delete and on updates that change one of those columns. So every
  writer, the ORM, bulk SQL and a restore alike, keeps it current; :func:`rebuild` rebuilds it
  set-based from the table (used after a bulk load and by the migration's backfill).
- PostgreSQL: GIN indexes over ``string_to_array(name_chars, ' ')`` (and company), which find
  one- and two-character Chinese queries that trigrams cannot (pg_trgm needs three characters,
  and ignores non-ASCII letters in a C-locale database), plus a pg_trgm GIN index on
  ``search_text`` for word-prefix ``LIKE`` over pinyin, email and phone digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db import connection

from tiercard.core.text import fold_width

FTS_TABLE = "customers_search"
_PARTS = re.compile(r"[^0-9a-z\u00c0-\uffff]+")

# A Chinese character (CJK unified ideographs, extension A, compatibility) is a token of its
# own; a run of letters or digits is one token; everything else separates tokens.
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff\uf900-\ufaff]+")


def char_tokens(text: str) -> list[str]:
    """The search tokens of ``text``: ``"张三丰 Ltd."`` → ``["张", "三", "丰", "ltd"]``."""
    folded = unicodedata.normalize("NFKC", fold_width(text or "")).lower()
    return _TOKEN.findall(folded)


def char_text(text: str) -> str:
    """The stored form of :func:`char_tokens`: tokens joined by single spaces."""
    return " ".join(char_tokens(text))


def search_words(words: Iterable[str]) -> str:
    """``search_text``: lower-cased words, space-separated, with a space at each end so a
    ``LIKE '% word%'`` finds a word start anywhere (the PostgreSQL route).

    A word with punctuation (an email, ``KH-001``) is followed by its parts, so ``corp``
    finds ``wu@corp.cn`` through ``LIKE`` as it does through FTS5's own word splitting.
    """
    out: list[str] = []
    for word in words:
        word = (word or "").lower()
        if not word:
            continue
        out.append(word)
        parts = [p for p in _PARTS.split(word) if p]
        if parts != [word]:
            out.extend(parts)
    return " " + " ".join(out) + " "


def rebuild() -> None:
    """SQLite: rebuild the FTS index from the customer table (set-based; idempotent)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608


def optimize() -> None:
    """SQLite: merge the FTS index's segments into one (after a bulk load)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608


# The SQLite triggers, as migration 0002 creates them. Kept here too because SQLite loses a
# table's triggers when a later migration rebuilds the table (Django's ALTER TABLE emulation
# copies the table and drops the old one): :func:`ensure_sqlite_sync` puts them back.
_SQLITE_TRIGGERS = {
    "customers_search_ai": (
        "CREATE TRIGGER customers_search_ai AFTER INSERT ON customers_customer BEGIN "
        "INSERT INTO customers_search(rowid, name_chars, company_chars, search_text) "
        "VALUES (new.id, new.name_chars, new.company_chars, new.search_text); END"
    ),
    "customers_search_ad": (
        "CREATE TRIGGER customers_search_ad AFTER DELETE ON customers_customer BEGIN "
        "INSERT INTO customers_search(customers_search, rowid, name_chars, company_chars, "
        "search_text) VALUES ('delete', old.id, old.name_chars, old.company_chars, "
        "old.search_text); END"
    ),
    "customers_search_au": (
        "CREATE TRIGGER customers_search_au AFTER UPDATE OF name_chars, company_chars, "
        "search_text ON customers_customer WHEN old.name_chars IS NOT new.name_chars "
        "OR old.company_chars IS NOT new.company_chars OR old.search_text IS NOT new.search_text "
        "BEGIN "
        "INSERT INTO customers_search(customers_search, rowid, name_chars, company_chars, "
        "search_text) VALUES ('delete', old.id, old.name_chars, old.company_chars, "
        "old.search_text); "
        "INSERT INTO customers_search(rowid, name_chars, company_chars, search_text) "
        "VALUES (new.id, new.name_chars, new.company_chars, new.search_text); END"
    ),
}


def ensure_sqlite_sync(using: str = "default") -> bool:
    """SQLite: recreate missing sync triggers and rebuild the index. True when it repaired.

    Run after every ``migrate`` (``post_migrate``); does nothing on PostgreSQL, before
    migration 0002, or when all triggers are in place.
    """
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master WHERE name IN (%s, %s, %s, %s)",
            [FTS_TABLE, *_SQLITE_TRIGGERS],
        )
        present = {name for _type, name in cursor.fetchall()}
        if FTS_TABLE not in present:
            return False
        missing = [name for name in _SQLITE_TRIGGERS if name not in present]
        if not missing:
            return False
        for name in missing:
            cursor.execute(_SQLITE_TRIGGERS[name])
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608
    return True
