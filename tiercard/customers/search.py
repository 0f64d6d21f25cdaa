"""The one search box: find customers by name, pinyin, initials, phone, company, email.

:func:`customer_search` answers a typed query with at most ``limit`` customers of the viewer's
scope (``visible_customers``; archived cards only when asked), best first:

====  ==========================================================================
tier  what matched
====  ==========================================================================
0     exactly: the name, the initials (zs), the full pinyin (zhangsan), the last four
      digits of the phone (5678), the whole phone number, the email, the external id
1     the start: of the name (张三 → 张三丰), the pinyin (zhangs), the initials, the
      email; a phone tail longer than four digits
2     inside: Chinese characters anywhere in the name (三 → 张三); a word start
      anywhere in the other readings (cengxiaoming for 曾小明), the English name, the
      phone digits (1381234), the email's words, the external id
3     Chinese characters anywhere in the company name
====  ==========================================================================

Inside a tier the order is stable: exact and substring matches newest card first; prefix
matches by the column looked up (张三 before 张三丰, zhangsan before zhangsanfeng), then by id.

How it stays fast at a million customers: each row of the table above is one *probe*, a query
that one index answers in its own order with ``LIMIT``; probes run best tier first and stop as
soon as ``limit`` customers are found, so a one-character query (王: 7% of all customers)
touches a few dozen index entries, not seventy thousand rows. The substring probes use the
database's own text index (see :mod:`tiercard.customers.search_index`): FTS5 on SQLite, GIN
over character arrays and pg_trgm on PostgreSQL.

:func:`search_filter` gives the same matches (unranked) as a condition, for the member table
and the API list, which sort and page by their own keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate

from tiercard.accounts.models import User
from tiercard.core.text import clean_text, has_cjk
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.customers.search_index import FTS_TABLE, char_tokens
from tiercard.customers.selectors import visible_customers

MAX_QUERY_LENGTH = 64
"""Longer input is cut: no name, phone or email a person types is longer."""
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# The highest code point: every string starting with a prefix sorts below prefix + this.
_TOP = "\U0010ffff"
_PHONE_PUNCTUATION = re.compile(r"[\s\-+()（）.]")


@dataclass(frozen=True)
class SearchQuery:
    """A typed query, classified. ``kind`` is ``cjk``, ``digits``, ``text`` or ``""``."""

    raw: str  # cleaned (width-folded, whitespace collapsed), original case, cut to length
    kind: str
    compact: str  # lower-cased, no whitespace
    tokens: tuple[str, ...]  # search_index.char_tokens of the query

    @classmethod
    def parse(cls, text: str | None) -> SearchQuery:
        raw = clean_text(str(text or ""))[:MAX_QUERY_LENGTH].strip()
        compact = re.sub(r"\s+", "", raw).lower()
        tokens = tuple(char_tokens(raw))
        if not tokens:
            return cls(raw, "", compact, ())
        if has_cjk(raw):
            kind = "cjk"
        elif _PHONE_PUNCTUATION.sub("", raw).isdigit():
            kind = "digits"
            compact = _PHONE_PUNCTUATION.sub("", raw)
        else:
            kind = "text"
        return cls(raw, kind, compact, tokens)


@dataclass(frozen=True)
class Probe:
    tier: int
    condition: Ranked  # filter + order_by, for the ranked search
    match: Q  # the same rows as a plain condition, usable inside any query


Ranked = Callable[[QuerySet[Customer]], QuerySet[Customer]]
Finder = tuple[Ranked, Q]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _plain(condition: Q) -> Finder:
    """Rows matching a plain indexed condition, newest first."""
    return (lambda qs: qs.filter(condition).order_by("-id")), condition


def _exact(field: str, value: str) -> Finder:
    """Rows whose ``field`` equals ``value``, newest first. On PostgreSQL through the
    ``COLLATE "C"`` index (the name and the email have no other)."""

    def apply(qs: QuerySet[Customer]) -> QuerySet[Customer]:
        if _is_postgres():
            return qs.alias(_key=Collate(F(field), "C")).filter(_key=value).order_by("-id")
        return qs.filter(**{field: value}).order_by("-id")

    return apply, Q(**{field: value})


def _prefix(field: str, value: str) -> Finder:
    """Rows whose ``field`` starts with ``value``, in the field's byte order, then by id:
    exactly the index's order (it holds the row id), so ``LIMIT`` reads only what it returns.

    A range over the index rather than ``LIKE``: SQLite uses an index for ``LIKE`` only on
    NOCASE columns, and PostgreSQL only in the C collation, which the ``COLLATE "C"``
    expression indexes of migration 0002 provide whatever the database's own collation.
    """

    def apply(qs: QuerySet[Customer]) -> QuerySet[Customer]:
        if _is_postgres():
            key = Collate(F(field), "C")
            return (
                qs.alias(_key=key)
                .filter(_key__gte=value, _key__lt=value + _TOP)
                .order_by(key.asc(), "id")
            )
        return qs.filter(**{f"{field}__gte": value, f"{field}__lt": value + _TOP}).order_by(
            field, "id"
        )

    return apply, Q(**{f"{field}__startswith": value})


def _fts(column: str, phrase: str) -> Finder:
    """SQLite: rows whose ``column`` matches an FTS5 expression, newest first.

    A join ordered by the FTS table's own rowid (descending), so FTS5 streams its matches in
    that order and ``LIMIT`` stops the walk; an ``id IN (SELECT rowid …)`` would first
    collect every match (tens of thousands for a common character).
    """
    expression = f"{{{column}}} : {phrase}"
    table = Customer._meta.db_table

    def apply(qs: QuerySet[Customer]) -> QuerySet[Customer]:
        # The expression is a bound parameter; the SQL text holds only our own names.
        return qs.extra(  # noqa: S610
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = {table}.id", f"{FTS_TABLE} MATCH %s"],
            params=[expression],
            order_by=[f"-{FTS_TABLE}.rowid"],
        )

    # Not the join above: inside a subquery it would refer to the outer query's table.
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    return apply, Q(pk__in=RawSQL(sql, [expression]))  # noqa: S611 - a bound parameter


def _quoted(tokens: tuple[str, ...]) -> str:
    # Tokens are letters, digits or single Chinese characters (search_index.char_tokens):
    # they hold no quote, so the phrase needs no escaping and no FTS5 operator can get in.
    return '"' + " ".join(tokens) + '"'


def _chars_contain(column: str, tokens: tuple[str, ...]) -> Finder:
    """Rows whose per-character ``column`` holds ``tokens`` one after the other."""
    if not _is_postgres():
        return _fts(column, _quoted(tokens))

    # The GIN index finds the rows holding every character; LIKE keeps them in sequence.
    condition = RawSQL(  # noqa: S611 - column is one of ours; values are parameters
        f"string_to_array({column}, ' ') @> %s::text[] AND {column} LIKE %s",
        [list(tokens), "%" + " ".join(tokens) + "%"],
        output_field=BooleanField(),
    )

    def apply(qs: QuerySet[Customer]) -> QuerySet[Customer]:
        return qs.filter(condition).order_by("-id")

    return apply, Q(pk__in=Customer.objects.filter(condition).values("pk"))


def _words_start(tokens: tuple[str, ...]) -> Finder:
    """Rows with a word of ``search_text`` starting with the query (its words in order)."""
    if not _is_postgres():
        return _fts("search_text", _quoted(tokens) + " *")

    # The query's words in a row, as search_index.search_words stores an email's parts
    # (qq.com → "qq com"). ``contains`` escapes them; the pg_trgm GIN index answers.
    return _plain(Q(search_text__contains=" " + " ".join(tokens)))


def _probes(query: SearchQuery) -> list[Probe]:
    q, tokens = query.compact, query.tokens
    probes: list[Probe] = []
    if query.kind == "cjk":
        probes += [
            Probe(0, *_exact("name", query.raw)),
            Probe(1, *_prefix("name", query.raw)),
            Probe(2, *_chars_contain("name_chars", tokens)),
            Probe(3, *_chars_contain("company_chars", tokens)),
        ]
    elif query.kind == "digits":
        if len(q) == 4:
            probes.append(Probe(0, *_plain(Q(phone_tail=q))))
        if len(q) >= 7:
            numbers = ["+86" + q, "+" + q] + (["+86" + q[1:]] if q.startswith("0") else [])
            probes.append(Probe(0, *_plain(Q(primary_phone__in=numbers))))
        if len(q) > 4:
            # The tail index narrows to one in ten thousand; the suffix check does the rest.
            probes.append(Probe(1, *_plain(Q(phone_tail=q[-4:], primary_phone__endswith=q))))
        probes.append(Probe(2, *_words_start(tokens)))
    elif query.kind == "text":
        # An email-like query is not a name: its letters would match pinyin by accident.
        letters = "" if "@" in q else re.sub(r"[^0-9a-z]", "", q)
        if "@" in q:
            probes.append(Probe(0, *_exact("primary_email", q)))
        if letters:
            probes += [
                Probe(0, *_exact("name_initials", letters)),
                Probe(0, *_exact("name_pinyin", letters)),
            ]
        if "@" in q or "." in q:
            probes.append(Probe(1, *_prefix("primary_email", q)))
        if letters:
            probes += [
                Probe(1, *_prefix("name_initials", letters)),
                Probe(1, *_prefix("name_pinyin", letters)),
            ]
        probes.append(Probe(2, *_words_start(tokens)))
    if query.kind:
        # External ids are typed as written (KH0000123); the partial unique index answers.
        ids = Q(external_id__in=sorted({query.raw, query.raw.upper()})) & ~Q(external_id="")
        probes.insert(0, Probe(0, *_plain(ids)))
    return probes


@dataclass(frozen=True)
class SearchHit:
    customer: Customer
    tier: int  # see the module docstring: 0 exact … 3 company name


def customer_search(
    viewer: User,
    query: str | None,
    limit: int = DEFAULT_LIMIT,
    *,
    include_archived: bool = False,
) -> list[SearchHit]:
    """At most ``limit`` (capped at ``MAX_LIMIT``) customers in the viewer's scope, ranked.

    Empty or unusable input (only punctuation, FTS or SQL syntax) finds nothing and never
    raises. Queries: one per probe until ``limit`` are found, plus one for the cards.
    """
    parsed = SearchQuery.parse(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if not parsed.kind:
        return []
    scope = visible_customers(viewer)
    if scope.query.is_empty():
        return []
    base = Customer.objects.all()
    if scope.query.has_filters():
        # The scope as a per-row check (one primary-key lookup) rather than a filter beside
        # the probe's own: given ``owner_id = ?`` a planner may prefer the owner index and
        # sort the whole book (a second or more at 1M) over walking the probe's index.
        base = base.filter(Exists(scope.filter(pk=OuterRef("pk"))))
    if not include_archived:
        base = base.exclude(status=CustomerStatus.ARCHIVED)
    found: dict[int, int] = {}  # id → tier, in rank order
    for probe in _probes(parsed):
        if len(found) >= limit:
            break
        # ``limit`` rows (not only the missing count): some may have been found already.
        for pk in probe.condition(base).values_list("pk", flat=True)[:limit]:
            found.setdefault(pk, probe.tier)
    ids = list(found)[:limit]
    if not ids:
        return []
    cards = Customer.objects.select_related("owner").in_bulk(ids)
    return [SearchHit(cards[pk], found[pk]) for pk in ids if pk in cards]


MATCH_CAP = 2000
""":func:`search_filter` lists up to this many matches by id; beyond, it gives the condition."""


def search_match_ids(query: str | None) -> list[int] | None:
    """The ids of every customer matching ``query`` (unscoped, sorted) when there are at most
    ``MATCH_CAP``; ``None`` when there are more. A list may then order these few rows directly
    instead of walking its sort index in search of them."""
    parsed = SearchQuery.parse(query)
    if not parsed.kind:
        return []
    ids: set[int] = set()
    for probe in _probes(parsed):
        ranked = probe.condition(Customer.objects.all())
        ids.update(ranked.values_list("pk", flat=True)[: MATCH_CAP + 1])
        if len(ids) > MATCH_CAP:
            return None
    return sorted(ids)


def search_filter(query: str | None) -> Q:
    """Every customer :func:`customer_search` could find for ``query``, as one condition.

    Unranked and unscoped, for lists that scope, order and page by their own keys (member
    table, API list). An unusable query matches nothing. Two regimes, both exact:

    - up to ``MATCH_CAP`` matches (a name, a phone, most pinyin): their ids, found by the
      probes through their indexes (:func:`search_match_ids`);
    - more (王, zs): the probes' conditions OR-ed; matches are then dense (one row in five
      hundred or more), so a list walking its own sort index meets a page of them soon.
    """
    ids = search_match_ids(query)
    if ids is not None:
        return Q(pk__in=ids)
    condition = Q(pk__in=[])
    for probe in _probes(SearchQuery.parse(query)):
        condition |= probe.match
    return condition
