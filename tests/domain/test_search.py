"""The one search box (``customers.search``): every query kind, ranking, scope, index sync."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.customers.search import MAX_LIMIT, SearchQuery, customer_search, search_filter
from tiercard.customers.search_index import char_text, char_tokens, ensure_sqlite_sync
from tiercard.customers.services import customer_archive, customer_restore, customer_update

pytestmark = pytest.mark.django_db

Make = Callable[..., Customer]


def names(hits: list) -> list[str]:
    return [h.customer.name for h in hits]


def found(viewer: User, query: str, **kw: object) -> list[str]:
    return names(customer_search(viewer, query, **kw))


# --- the stored tokens -----------------------------------------------------------------------


def test_char_tokens_split_chinese_per_character_and_keep_words() -> None:
    assert char_tokens("张三丰") == ["张", "三", "丰"]
    assert char_text("华为 Technologies（深圳）Co.,Ltd") == "华 为 technologies 深 圳 co ltd"
    assert char_text("ＡＢＣ张") == "abc 张"  # full-width folded
    assert char_tokens('" * ( ) NEAR AND : -') == ["near", "and"]


def test_services_write_the_search_columns(make_customer: Make) -> None:
    c = make_customer(name="曾小明", company_name="阿里巴巴", phones="13812345678")
    c.refresh_from_db()
    assert c.name_chars == "曾 小 明"
    assert c.company_chars == "阿 里 巴 巴"
    assert " zengxiaoming " in c.search_text and " cengxiaoming " in c.search_text
    assert c.phone_tail == "5678"


# --- each kind of query ----------------------------------------------------------------------


@pytest.fixture
def people(make_customer: Make) -> dict[str, Customer]:
    return {
        "zs": make_customer(name="张三", phones="13812345678", emails="zhang.san@example.com"),
        "zsf": make_customer(name="张三丰", phones="13900001111"),
        "ls": make_customer(name="李三", company_name="华为技术有限公司", phones="13700005678"),
        "ww": make_customer(name="王五", emails="wuwang@corp.cn"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("三", {"张三", "张三丰", "李三"}),
        ("张三", {"张三", "张三丰"}),
        ("三丰", {"张三丰"}),
        ("zhangsan", {"张三", "张三丰"}),
        ("zhangs", {"张三", "张三丰"}),
        ("ZhangSan", {"张三", "张三丰"}),
        ("zs", {"张三", "张三丰"}),
        ("zsf", {"张三丰"}),
        ("5678", {"张三", "李三"}),
        ("13812345678", {"张三"}),
        ("138 1234 5678", {"张三"}),
        ("1234 5678", {"张三"}),
        ("1381234", {"张三"}),
        ("华为", {"李三"}),
        ("技术", {"李三"}),
        ("zhang.san@example.com", {"张三"}),
        ("zhang.san@", {"张三"}),
        ("wuwang", {"王五"}),
        ("corp", {"王五"}),
        ("ｚｓ", {"张三", "张三丰"}),
    ],
)
def test_query_kinds(users: dict[str, User], people: dict, query: str, expected: set) -> None:
    assert set(found(users["admin"], query)) == expected


def test_search_filter_matches_the_same_customers(
    users: dict[str, User], people: dict[str, Customer]
) -> None:
    for query in ("三", "zs", "5678", "华为", "corp", "1381234"):
        listed = set(Customer.objects.filter(search_filter(query)).values_list("name", flat=True))
        assert listed == set(found(users["admin"], query)), query


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        ("曾小明", ["zengxiaoming", "cengxiaoming", "zxm", "zengx"]),
        ("单田芳", ["shantianfang", "dantianfang", "stf"]),
        ("仇晓", ["qiuxiao", "qx"]),
        ("解放", ["xiefang", "xf"]),
        ("区志强", ["ouzhiqiang", "ozq"]),
        ("朴槿", ["piaojin", "pj"]),
        ("查良镛", ["zhaliangyong", "zly", "chaliangyong"]),
        ("盖聪", ["gecong", "gc"]),
        ("尉迟恭", ["yuchigong", "ycg", "yuchi"]),
        ("万俟卨", ["moqixie", "mqx"]),
    ],
)
def test_polyphonic_surnames(
    users: dict[str, User], make_customer: Make, name: str, queries: list[str]
) -> None:
    make_customer(name=name)
    make_customer(name="路人甲")
    for query in queries:
        assert found(users["admin"], query) == [name], query


# --- ranking ---------------------------------------------------------------------------------


def test_exact_before_prefix_before_substring(users: dict[str, User], make_customer: Make) -> None:
    make_customer(name="李张三")  # substring
    make_customer(name="张三丰")  # prefix
    make_customer(name="张三")  # exact
    hits = customer_search(users["admin"], "张三")
    assert names(hits) == ["张三", "张三丰", "李张三"]
    assert [h.tier for h in hits] == [0, 1, 2]


def test_company_matches_rank_after_name_matches(
    users: dict[str, User], make_customer: Make
) -> None:
    make_customer(name="刘一", company_name="华夏银行")
    make_customer(name="华安")
    assert found(users["admin"], "华") == ["华安", "刘一"]


def test_initials_exact_ranks_first_and_ties_are_stable(
    users: dict[str, User], make_customer: Make
) -> None:
    older = make_customer(name="张帅")
    newer = make_customer(name="周胜")
    make_customer(name="赵胜利")  # zsl: initials prefix
    result = found(users["admin"], "zs")
    assert result[:2] == [newer.name, older.name]  # exact initials, newest first
    assert result[2] == "赵胜利"
    assert found(users["admin"], "zs") == result


def test_phone_tail_exact_before_phone_words(users: dict[str, User], make_customer: Make) -> None:
    make_customer(name="甲", phones="13856781234")  # 5678 inside, not the tail
    make_customer(name="乙", phones="13812345678")
    assert found(users["admin"], "5678") == ["乙"]


def test_limit_is_respected_and_capped(users: dict[str, User], make_customer: Make) -> None:
    for i in range(5):
        make_customer(name=f"王{'一二三四五'[i]}")
    assert len(customer_search(users["admin"], "王", limit=3)) == 3
    assert len(customer_search(users["admin"], "王", limit=10_000)) == 5
    assert MAX_LIMIT >= 20


# --- scope -----------------------------------------------------------------------------------


def test_a_rep_never_finds_another_reps_customer(
    users: dict[str, User], book: dict[str, Customer]
) -> None:
    rep = users["rep_east1"]
    for query in ("李四", "李", "lisi", "ls", "5679", "13912345679", "wangwu@example.com", "王"):
        assert found(rep, query) == [], query
    assert found(rep, "张") == ["张三"]
    assert found(users["rep_east2"], "ls") == ["李四"]
    assert set(found(users["mgr_east"], "13")) >= {"张三", "李四"}
    assert "王五" not in found(users["mgr_east"], "wangwu")


def test_archived_only_when_asked(users: dict[str, User], make_customer: Make) -> None:
    gone = make_customer(name="钱多多")
    customer_archive(actor=users["admin"], customer_id=gone.pk)
    assert found(users["admin"], "钱") == []
    assert found(users["admin"], "qdd", include_archived=True) == ["钱多多"]
    customer_restore(actor=users["admin"], customer_id=gone.pk)
    assert found(users["admin"], "钱") == ["钱多多"]


def test_inactive_viewer_finds_nothing(users: dict[str, User], book: dict) -> None:
    admin = users["admin"]
    admin.is_active = False
    admin.save()
    assert found(admin, "张") == []


# --- the index follows every write -----------------------------------------------------------


def test_index_follows_edits(users: dict[str, User], make_customer: Make) -> None:
    c = make_customer(name="孙悟空", company_name="花果山")
    admin = users["admin"]
    assert found(admin, "悟") == ["孙悟空"]
    customer_update(
        actor=admin,
        customer_id=c.pk,
        data={"name": "孙行者", "company_name": "水帘洞", "phones": "13655556666"},
    )
    assert found(admin, "悟") == []
    assert found(admin, "花果") == []
    assert found(admin, "行者") == ["孙行者"]
    assert found(admin, "水帘") == ["孙行者"]
    assert found(admin, "sunxingzhe") == ["孙行者"]
    assert found(admin, "6666") == ["孙行者"]
    Customer.objects.filter(pk=c.pk).delete()
    assert found(admin, "行者") == []


def test_index_follows_bulk_sql_and_plain_column_updates(
    users: dict[str, User], make_customer: Make
) -> None:
    c = make_customer(name="猪八戒")
    Customer.objects.filter(pk=c.pk).update(total_spend=10)  # no indexed column: index kept
    assert found(users["admin"], "八戒") == ["猪八戒"]
    Customer.objects.filter(pk=c.pk).update(name="猪悟能", name_chars=char_text("猪悟能"))
    assert found(users["admin"], "悟能") == ["猪悟能"]
    assert found(users["admin"], "八戒") == []


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_triggers_come_back_after_a_table_rebuild(
    users: dict[str, User], make_customer: Make
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER customers_search_ai")
    make_customer(name="沙悟净")
    assert found(users["admin"], "悟净") == []  # missed while the trigger was gone
    assert ensure_sqlite_sync() is True
    assert found(users["admin"], "悟净") == ["沙悟净"]
    assert ensure_sqlite_sync() is False


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        None,
        '"',
        "*",
        "(",
        ")",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "-",
        ":",
        "^",
        "张三 OR 李四",
        '"张三" AND *',
        "name_chars : 三",
        "{name_chars}: 三",
        "'; DROP TABLE customers_customer; --",
        "%",
        "_",
        "\\",
        "三" * 5000,
        "a" * 5000,
        "1" * 5000,
        "\x00",
        "😀",
    ],
)
def test_bad_input_never_errors(users: dict[str, User], book: dict, query: str | None) -> None:
    result = customer_search(users["admin"], query)
    assert isinstance(result, list)
    assert Customer.objects.count() == 3
    assert isinstance(list(Customer.objects.filter(search_filter(query))), list)


def test_query_parsing() -> None:
    assert SearchQuery.parse("").kind == ""
    assert SearchQuery.parse("张 三").kind == "cjk"
    assert SearchQuery.parse("138-1234-5678").compact == "13812345678"
    assert SearchQuery.parse("Zhang San").compact == "zhangsan"
    assert len(SearchQuery.parse("x" * 500).raw) == 64


def test_operators_are_searched_as_words(users: dict[str, User], make_customer: Make) -> None:
    make_customer(name="Near Andor")
    assert found(users["admin"], "NEAR") == ["Near Andor"]
    assert found(users["admin"], "near and") == ["Near Andor"]


def test_query_count_is_bounded(
    users: dict[str, User], people: dict, django_assert_max_num_queries: Callable
) -> None:
    with django_assert_max_num_queries(6):
        customer_search(users["admin"], "zzz")  # nothing found: every probe runs
    with django_assert_max_num_queries(6):
        customer_search(users["admin"], "张三")  # five probes, then the cards in one query
    with django_assert_max_num_queries(3):
        customer_search(users["admin"], "张三", limit=1)  # the exact probe fills it: stop


def test_search_filter_gives_the_same_rows_beyond_the_id_list(
    users: dict[str, User], people: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiercard.customers import search

    monkeypatch.setattr(search, "MATCH_CAP", 1)  # every query with 2+ matches: the OR route
    for query in ("三", "zs", "5678", "华为", "corp", "1381234", "zhangs", "13812345678"):
        listed = set(Customer.objects.filter(search_filter(query)).values_list("name", flat=True))
        assert listed == set(found(users["admin"], query)), query


def test_email_domain_words_are_found(users: dict[str, User], make_customer: Make) -> None:
    make_customer(name="赵六", emails="liu.zhao@qq.com")
    make_customer(name="钱七", emails="qian@163.com")
    assert found(users["admin"], "qq.com") == ["赵六"]
    assert found(users["admin"], "liu.zhao@qq") == ["赵六"]
    assert found(users["admin"], "163") == ["钱七"]
