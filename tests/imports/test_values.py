"""Cell text → values: every form offices write, and every refusal with its code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tiercard.imports import values as v

SHANGHAI = ZoneInfo("Asia/Shanghai")


def problem(func: object, *args: object, **kwargs: object) -> v.ValueProblem:
    with pytest.raises(v.ValueProblem) as caught:
        func(*args, **kwargs)  # type: ignore[operator]
    return caught.value


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("  张三 ", "张三"),
        ("Ｚｈａｎｇ　Ｓａｎ", "Zhang San"),
        ("a \t\n b", "a b"),
        ("１２３", "123"),
        ("", ""),
    ],
)
def test_clean_cell(text: str, cleaned: str) -> None:
    assert v.clean_cell(text) == cleaned


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024年5月1日", dt.date(2024, 5, 1)),
        ("2024 年 05 月 01 日", dt.date(2024, 5, 1)),
        ("2024年5月1号", dt.date(2024, 5, 1)),
        ("2024年5月1", dt.date(2024, 5, 1)),
        ("２０２４年５月１日", dt.date(2024, 5, 1)),
        ("2024/5/1", dt.date(2024, 5, 1)),
        ("2024-05-01", dt.date(2024, 5, 1)),
        ("2024.5.1", dt.date(2024, 5, 1)),
        ("20240501", dt.date(2024, 5, 1)),
        ("45413", dt.date(2024, 5, 1)),
        ("45413.75", dt.date(2024, 5, 1)),
        ("10000", dt.date(1927, 5, 18)),
        ("2024-05-01 14:30:00", dt.date(2024, 5, 1)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("1900-01-01", dt.date(1900, 1, 1)),
    ],
)
def test_parse_date(text: str, day: dt.date) -> None:
    assert v.parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    [
        "2024年13月40日",
        "2024年2月30日",
        "2023-02-29",
        "2024/0/1",
        "5/1/2024",
        "01-05-2024",
        "2024",
        "15",
        "99",
        "20241340",
        "1899-12-31",
        "2200-01-01",
        "昨天",
        "2024-05-01 25:00",
        "2024-05-01 later",
        "=NOW()",
    ],
)
def test_parse_date_refuses(text: str) -> None:
    error = problem(v.parse_date, text)
    assert error.code == "bad_date"
    with translation.override("en"):
        assert "date" in str(error.message)


def test_blank_is_required_everywhere() -> None:
    for parser in (
        v.parse_date,
        v.parse_datetime,
        v.parse_amount,
        v.parse_int,
        v.parse_quantity,
        v.parse_phone,
        v.parse_email,
        v.parse_credit_code,
    ):
        assert problem(parser, "  ").code == "required"
    assert problem(v.parse_choice, "", {"a": "A"}).code == "required"
    assert problem(v.parse_tier, "", [("gold", "金卡", "Gold")]).code == "required"


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2024-05-01", dt.datetime(2024, 5, 1, tzinfo=SHANGHAI)),
        ("2024-05-01 14:30", dt.datetime(2024, 5, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2024/5/1 9:05:07", dt.datetime(2024, 5, 1, 9, 5, 7, tzinfo=SHANGHAI)),
        ("2024-05-01T14:30:00", dt.datetime(2024, 5, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2024年5月1日 14时30分", dt.datetime(2024, 5, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2024年5月1日14:30", dt.datetime(2024, 5, 1, 14, 30, tzinfo=SHANGHAI)),
        ("２０２４－０５－０１　１４：３０", dt.datetime(2024, 5, 1, 14, 30, tzinfo=SHANGHAI)),
        ("45413.5", dt.datetime(2024, 5, 1, 12, 0, tzinfo=SHANGHAI)),
        ("2024-05-01T06:30:00+00:00", dt.datetime(2024, 5, 1, 6, 30, tzinfo=dt.UTC)),
        ("2024-05-01T06:30:00Z", dt.datetime(2024, 5, 1, 6, 30, tzinfo=dt.UTC)),
    ],
)
def test_parse_datetime_is_aware_business_time(text: str, moment: dt.datetime) -> None:
    parsed = v.parse_datetime(text)
    assert parsed.tzinfo is not None
    assert parsed == moment


@pytest.mark.parametrize(
    "text", ["2024年13月40日 10:00", "2024-05-01 24:00", "2024-05-01 10:61", "2024-05-01T99", "x"]
)
def test_parse_datetime_refuses(text: str) -> None:
    assert problem(v.parse_datetime, text).code == "bad_datetime"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.5", Decimal("1234.50")),
        ("¥1,234.50", Decimal("1234.50")),
        ("￥1,234.50", Decimal("1234.50")),
        ("1234.5元", Decimal("1234.50")),
        ("RMB 12", Decimal("12.00")),
        ("CNY12", Decimal("12.00")),
        ("１，２３４．５", Decimal("1234.50")),
        ("1.5万", Decimal("15000.00")),
        ("2万元", Decimal("20000.00")),
        ("0.005", Decimal("0.01")),
        ("0.004", Decimal("0.00")),
        ("0", Decimal("0.00")),
        (" 88 元 ", Decimal("88.00")),
    ],
)
def test_parse_amount(text: str, amount: Decimal) -> None:
    assert v.parse_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("-12.5", Decimal("-12.50")),
        ("(123)", Decimal("-123.00")),
        ("（¥1,000）", Decimal("-1000.00")),
    ],
)
def test_parse_amount_negative_when_allowed(text: str, amount: Decimal) -> None:
    assert v.parse_amount(text, allow_negative=True) == amount
    assert problem(v.parse_amount, text).code == "negative_amount"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("abc", "bad_amount"),
        ("12.3.4", "bad_amount"),
        ("$12", "bad_amount"),
        ("NaN", "bad_amount"),
        ("Infinity", "bad_amount"),
        ("1e3x", "bad_amount"),
        ("=1+1", "bad_amount"),
        ("99999999999", "amount_too_large"),
    ],
)
def test_parse_amount_refuses(text: str, code: str) -> None:
    assert problem(v.parse_amount, text).code == code


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("1,200", 1200), ("1200.0", 1200), ("-5", -5), ("１２", 12), (" 7 ", 7)],
)
def test_parse_int(text: str, number: int) -> None:
    assert v.parse_int(text) == number


@pytest.mark.parametrize("text", ["12.5", "abc", "1e400", "inf", "12个"])
def test_parse_int_refuses(text: str) -> None:
    assert problem(v.parse_int, text).code == "bad_number"


@pytest.mark.parametrize(
    ("text", "qty"), [("1", Decimal(1)), ("2.5", Decimal("2.5")), ("1,000", Decimal(1000))]
)
def test_parse_quantity(text: str, qty: Decimal) -> None:
    assert v.parse_quantity(text) == qty


@pytest.mark.parametrize("text", ["0", "-1", "x", "2000000000"])
def test_parse_quantity_refuses(text: str) -> None:
    assert problem(v.parse_quantity, text).code == "bad_quantity"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("Yes", True),
        ("NO", False),
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("√", True),
        ("×", False),
        ("ｙｅｓ", True),
        ("TRUE", True),
    ],
)
def test_parse_bool(text: str, flag: bool) -> None:
    assert v.parse_bool(text) is flag


@pytest.mark.parametrize("text", ["maybe", "2", "", "是的吧"])
def test_parse_bool_refuses(text: str) -> None:
    assert problem(v.parse_bool, text).code == "bad_bool"


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("（010）12345678", "+861012345678"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_parse_phone(text: str, phone: str) -> None:
    assert v.parse_phone(text) == phone


@pytest.mark.parametrize("text", ["12345", "1381234567", "abc", "=1+1", "23812345678"])
def test_parse_phone_refuses(text: str) -> None:
    assert problem(v.parse_phone, text).code == "bad_phone"


def test_parse_email_and_credit_code() -> None:
    assert v.parse_email(" Li@Example.COM ") == "Li@example.com"
    assert v.parse_email("ｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "li@example.com"
    assert problem(v.parse_email, "li@").code == "bad_email"
    assert v.parse_credit_code("91350100m000100y43") == "91350100M000100Y43"
    assert problem(v.parse_credit_code, "91350100M000100Y44").code == "bad_credit_code"
    assert problem(v.parse_credit_code, "123").code == "bad_credit_code"


CHOICES = {"phone": _("Phone call"), "visit": _("Visit"), "wechat": "微信"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("phone", "phone"),
        ("PHONE", "phone"),
        ("Phone call", "phone"),
        ("phonecall", "phone"),
        ("visit", "visit"),
        ("微信", "wechat"),
        ("ＷＥＣＨＡＴ", "wechat"),
    ],
)
def test_parse_choice(text: str, code: str) -> None:
    assert v.parse_choice(text, CHOICES) == code


def test_parse_choice_refuses_and_lists_the_allowed_values() -> None:
    with translation.override("en"):
        error = problem(v.parse_choice, "fax", CHOICES)
        assert error.code == "bad_choice"
        assert "Phone call" in str(error.message)
        assert error.params["allowed"].startswith("Phone call")


TIERS = [
    ("normal", "普通会员", "Standard"),
    ("silver", "银卡", "Silver"),
    ("gold", "金卡", "Gold"),
    ("vip", "VIP", "VIP"),
    ("senior", "高级", "Senior"),
]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("gold", "gold"),
        ("金卡", "gold"),
        ("Gold", "gold"),
        ("ＧＯＬＤ", "gold"),
        ("金卡会员", "gold"),
        ("vip", "vip"),
        ("vip级", "vip"),
        ("VIP会员", "vip"),
        ("VIP客户", "vip"),
        ("高级会员", "senior"),
        ("普通会员", "normal"),
        ("普通", "normal"),
        ("silver member", "silver"),
        ("Gold tier", "gold"),
    ],
)
def test_parse_tier(text: str, code: str) -> None:
    assert v.parse_tier(text, TIERS) == code


def test_parse_tier_unknown_and_ambiguous() -> None:
    assert problem(v.parse_tier, "钻石卡", TIERS).code == "unknown_tier"
    ambiguous = [("a", "金卡", "Gold A"), ("b", "金会员", "Gold B")]
    assert v.parse_tier("金卡", ambiguous) == "a"  # exact match wins
    assert problem(v.parse_tier, "金", ambiguous).code == "ambiguous_tier"
    with translation.override("en"):
        assert "金卡" in str(problem(v.parse_tier, "钻石卡", TIERS).message)


def test_messages_render_in_the_language_read_later() -> None:
    error = problem(v.parse_date, "2024年13月40日")
    with translation.override("en"):
        english = str(error.message)
    assert english.startswith("Not a valid date")
    assert v.problem_message("bad_date") == str(error.message)
    assert v.problem_message("unknown_tier", {"allowed": "金卡"}).count("金卡") == 1
    assert v.problem_message("no_such_code") == "no_such_code"
    assert set(v.MESSAGES) >= {
        "bad_date",
        "bad_datetime",
        "bad_amount",
        "negative_amount",
        "bad_number",
        "bad_quantity",
        "bad_bool",
        "bad_phone",
        "bad_email",
        "bad_credit_code",
        "bad_choice",
        "unknown_tier",
        "ambiguous_tier",
        "required",
    }


def test_clean_cell_folds_exactly_like_core_fold_width() -> None:
    from tiercard.core.text import fold_width

    every = "".join(chr(c) for c in range(0x3000, 0x3002)) + "".join(
        chr(c) for c in range(0xFF00, 0xFF70)
    )
    assert v.clean_cell(every) == " ".join(fold_width(every).split())
