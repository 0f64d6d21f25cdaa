"""Pure helpers: width folding, pinyin, phone/email/credit-code normalisation, money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tiercard.core import contacts
from tiercard.core.money import parse_amount, quantize
from tiercard.core.text import clean_text, fold_width, name_romanisations, split_surname


def test_fold_width_turns_full_width_ascii_and_ideographic_space_half_width():
    assert fold_width("Ｚｈａｎｇ　１２３＠ＱＱ．ｃｏｍ") == "Zhang 123@QQ.com"
    assert clean_text("  张三\u3000\t李四  ") == "张三 李四"


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("单伟", "shanwei", "sw"),  # 单 as a surname reads shan, not dan
        ("曾小贤", "zengxiaoxian", "zxx"),
        ("区志强", "ouzhiqiang", "ozq"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("万俟小雨", "moqixiaoyu", "mqxy"),
        ("解放", "xiefang", "xf"),
        ("Tom Lee", "tomlee", "tl"),
    ],
)
def test_name_romanisations_read_surnames_as_surnames(name, pinyin, initials):
    roman = name_romanisations(name)
    assert (roman.pinyin, roman.initials) == (pinyin, initials)


def test_polyphonic_surname_keeps_the_common_reading_as_a_variant():
    assert "danwei" in name_romanisations("单伟").variants
    assert name_romanisations("张三").variants == ()


def test_split_surname_knows_compound_surnames():
    assert split_surname("司马光") == ("司马", "光")
    assert split_surname("马光") == ("马", "光")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("010-12345678", "+861012345678"),
        ("0755 8888 1234", "+8675588881234"),
        ("+1 415 555 2671", "+14155552671"),
        ("+86 21 5555 0000", "+862155550000"),  # a landline in international form
        ("+86 010 1234 5678", "+861012345678"),
    ],
)
def test_normalize_phone_accepts_what_people_write(raw, normalized):
    assert contacts.normalize_phone(raw) == normalized


@pytest.mark.parametrize("raw", ["123", "12812345678", "abc", "", "+86 1381234", "138123456789"])
def test_normalize_phone_refuses_non_phones(raw):
    with pytest.raises(ValueError, match="invalid_phone"):
        contacts.normalize_phone(raw)


@pytest.mark.parametrize(
    "raw", ["13812345678", "010-12345678", "0755 8888 1234", "+1 415 555 2671"]
)
def test_a_normalised_phone_normalises_to_itself(raw):
    once = contacts.normalize_phone(raw)
    assert contacts.normalize_phone(once) == once


def test_masking_keeps_first_three_and_last_four():
    assert contacts.mask_phone("+8613812345678") == "138****5678"
    assert contacts.mask_phone("+861012345678") == "010****5678"
    assert contacts.mask_email("zhangsan@qq.com") == "z***@qq.com"
    assert contacts.national_digits("+861012345678") == "01012345678"


def test_email_normalisation_lowercases_domain_and_refuses_garbage():
    assert contacts.normalize_email(" Zhang@QQ.COM ") == "Zhang@qq.com"
    with pytest.raises(ValueError, match="invalid_email"):
        contacts.normalize_email("zhang@")


def test_credit_code_check_digit():
    code = contacts.credit_code_with_check_digit("91110108MA01ABCD2")
    assert contacts.normalize_credit_code(code.lower()) == code
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValueError, match="invalid_credit_code"):
        contacts.normalize_credit_code(wrong)
    with pytest.raises(ValueError, match="invalid_credit_code"):
        contacts.normalize_credit_code("12345")


def test_wechat_ids_and_phone_as_wechat():
    assert contacts.normalize_wechat("zhang_san88") == "zhang_san88"
    assert contacts.normalize_wechat("13812345678") == "+8613812345678"
    with pytest.raises(ValueError, match="invalid_wechat"):
        contacts.normalize_wechat("1a")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("¥1,234.50", "1234.50"),
        ("1234.5元", "1234.5"),
        ("１２３４", "1234"),
        ("￥ 8", "8"),
        (Decimal("2.5"), "2.5"),
        (7, "7"),
        ("RMB 10", "10"),
    ],
)
def test_parse_amount_reads_office_formats(raw, value):
    assert parse_amount(raw) == Decimal(value)


@pytest.mark.parametrize("raw", ["abc", "", "1.2.3", 1.5, "NaN", "Infinity", None, True])
def test_parse_amount_refuses_non_numbers_and_floats(raw):
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one contract
        parse_amount(raw)


def test_quantize_rounds_half_up():
    assert quantize(Decimal("2.345")) == Decimal("2.35")
    assert quantize(Decimal("2.344")) == Decimal("2.34")


def test_organisation_names_read_as_phrases_not_surnames():
    roman = name_romanisations("长沙市远禾投资管理有限公司", person=False)
    assert roman.pinyin.startswith("changsha") and roman.initials.startswith("cs")
    assert name_romanisations("长江", person=True).pinyin == "zhangjiang"  # a person named 长江
