"""Match keys and scores: pure, table-driven."""

from __future__ import annotations

import pytest

from tiercard.core.contacts import credit_code_with_check_digit
from tiercard.dedupe import keys
from tiercard.dedupe.profile import Profile, compare
from tiercard.dedupe.scoring import WEIGHTS, Level, Reason, level_of, score, score_mask

CODE = credit_code_with_check_digit("91440300MA5F12345")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("13812345678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("８６１３８１２３４５６７８", "+8613812345678"),
        ("(010) 6212-3456", "+861062123456"),
        ("+861062123456", "+861062123456"),  # a stored landline, as it is
        ("12345", ""),
        ("", ""),
    ],
)
def test_phone_key(raw: str, key: str) -> None:
    assert keys.phone_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (" Zhang.San@QQ.com ", "zhang.san@qq.com"),
        ("ｚｓ＠ｑｑ．ｃｏｍ", "zs@qq.com"),
        ("john.doe@gmail.com", "john.doe@gmail.com"),  # dots kept: no Gmail folding
        ("not-an-email", ""),
    ],
)
def test_email_key(raw: str, key: str) -> None:
    assert keys.email_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [(CODE, CODE), (CODE.lower(), CODE), (f" {CODE} ", CODE), (CODE[:-1] + "0", ""), ("", "")],
)
def test_credit_code_key(raw: str, key: str) -> None:
    assert keys.credit_code_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("腾飞科技有限公司", "腾飞科技"),
        ("广东省深圳市腾飞科技有限公司", "腾飞科技"),
        ("深圳市腾飞科技有限公司", "腾飞科技"),
        ("腾飞科技（深圳）有限公司", "腾飞科技"),
        ("腾飞科技(深圳)有限公司", "腾飞科技"),
        ("（北京）腾飞科技股份有限公司", "腾飞科技"),
        ("北京腾飞科技集团股份有限公司", "腾飞科技"),
        ("腾飞科技有限责任公司", "腾飞科技"),
        ("腾飞科技有限公司深圳分公司", "腾飞科技"),
        ("上海市腾飞科技有限公司", "腾飞科技"),
        ("内蒙古自治区腾飞科技有限公司", "腾飞科技"),
        ("腾飞科技 有限公司", "腾飞科技"),
        ("Acme Trading Co., Ltd.", "acmetrading"),
        ("ACME TRADING CO LTD", "acmetrading"),
        ("ＡＣＭＥ　Trading Inc.", "acmetrading"),
        ("Acme Trading Company Limited", "acmetrading"),
        ("Disco Inc", "disco"),  # "co" at a word's end is not a suffix
        ("有限公司", ""),
        ("", ""),
    ],
)
def test_company_key(raw: str, key: str) -> None:
    assert keys.company_key(raw) == key


@pytest.mark.parametrize(
    ("name", "city", "key"),
    [
        ("张伟", "北京", "zhangwei|北京"),
        ("章伟", "北京市", "zhangwei|北京"),  # same pinyin, city without 市
        ("单伟", "上海", "shanwei|上海"),  # surname reading
        ("欧阳娜娜", "广州市", "ouyangnana|广州"),
        ("Ｌｉ　Ｍｉｎｇ", "Beijing", "liming|beijing"),
        ("张伟", "", ""),
        ("", "北京", ""),
    ],
)
def test_name_city_key(name: str, city: str, key: str) -> None:
    assert keys.name_city_key(name, city) == key


def test_wechat_key_folds_case() -> None:
    assert keys.wechat_key("ZhangWei_88") == keys.wechat_key("zhangwei_88") == "zhangwei_88"
    assert keys.wechat_key("abc") == ""


@pytest.mark.parametrize(
    ("reasons", "value", "level"),
    [
        ({Reason.CREDIT_CODE}, 100, Level.CERTAIN),
        ({Reason.PHONE, Reason.EMAIL}, 88, Level.LIKELY),
        ({Reason.PHONE, Reason.EMAIL, Reason.NAME_CITY}, 92, Level.CERTAIN),
        ({Reason.PHONE}, 70, Level.LIKELY),
        ({Reason.PHONE, Reason.NAME_CITY}, 80, Level.LIKELY),
        ({Reason.EMAIL}, 60, Level.POSSIBLE),
        ({Reason.COMPANY}, 50, Level.POSSIBLE),
        ({Reason.NAME_CITY, Reason.SIMILAR_NAME}, 45, Level.POSSIBLE),
        ({Reason.NAME_CITY}, 35, None),
        ({Reason.SIMILAR_NAME}, 15, None),
        (set(), 0, None),
    ],
)
def test_scores_and_levels(reasons: set[Reason], value: int, level: Level | None) -> None:
    result = score(reasons)
    assert (result.value, result.level) == (value, level)
    assert score_mask(result.mask) == result
    # every given reason exactly once, strongest (highest weight) first
    assert sorted(result.reasons) == sorted(reasons)
    weights = [WEIGHTS[r] for r in result.reasons]
    assert weights == sorted(weights, reverse=True)


def test_reasons_are_ordered_strongest_first() -> None:
    assert score({Reason.NAME_CITY, Reason.PHONE, Reason.EMAIL}).reasons == (
        Reason.PHONE,
        Reason.EMAIL,
        Reason.NAME_CITY,
    )
    assert level_of(89) == Level.LIKELY and level_of(90) == Level.CERTAIN


@pytest.mark.parametrize(
    ("a", "b", "value", "reasons"),
    [
        (
            {"name": "张伟", "phones": "13812345678", "city": "北京"},
            {"name": "张伟", "phones": ["+86 138 1234 5678"], "city": "北京市"},
            83,
            {Reason.PHONE, Reason.NAME_CITY, Reason.SIMILAR_NAME},
        ),
        (
            {"name": "腾飞科技有限公司", "kind": "company", "credit_code": CODE},
            {"name": "深圳市腾飞科技", "kind": "company", "credit_code": CODE.lower()},
            100,
            {Reason.CREDIT_CODE, Reason.COMPANY},
        ),
        (
            {"name": "王芳", "emails": "WF@qq.com"},
            {"name": "李娜", "emails": "wf@QQ.COM"},
            60,
            {Reason.EMAIL},
        ),
        (
            {"name": "王芳", "company_name": "腾飞科技"},  # a person's employer is no key
            {"name": "李娜", "company_name": "腾飞科技"},
            0,
            set(),
        ),
    ],
)
def test_compare_profiles(a: dict, b: dict, value: int, reasons: set[Reason]) -> None:
    result = compare(Profile.from_values(a), Profile.from_values(b))
    assert result.value == value
    assert set(result.reasons) == reasons
