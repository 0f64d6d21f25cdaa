"""Match keys: the normalised values two cards of one customer are likely to share.

Pure functions, no database. Each returns ``""`` when the input yields no usable key (a key
that is empty never matches). The same functions build the stored keys (``MatchKey``, by the
scan) and the keys of a new customer's values (``candidates.candidates_for``), so the two can
never drift apart.

- phone: E.164 (``core.contacts.normalize_phone``): 138-1234-5678, +86 138 1234 5678 and
  ８６１３８１２３４５６７８ are one key;
- email: trimmed and lower-cased whole (mailbox names are case-insensitive in practice); dots in
  a Gmail local part are kept: they are rare here and dropping them would join strangers;
- credit code: the 18-character unified social credit code, check digit verified;
- company: the name folded (full-width → half-width, brackets unified, case), then region
  prefixes (广东省深圳市, (北京)) and legal-form suffixes (股份有限公司, 分公司, Co., Ltd.) removed;
- person name: pinyin with surname readings (``core.text.name_romanisations``), so 张伟 and
  章伟 share a key while 单 is read "shan"; with the city, it is a weak key.
"""

from __future__ import annotations

import re
import unicodedata

from tiercard.core.contacts import normalize_credit_code, normalize_email, normalize_phone
from tiercard.core.text import clean_text, fold_width, has_cjk, name_romanisations

# Provinces, autonomous regions and municipalities, longest forms first where one contains another.
PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
# Major cities (prefecture level and above) that often start a company's registered name.
CITIES = (
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "宁波",
    "温州",
    "绍兴",
    "嘉兴",
    "金华",
    "台州",
    "合肥",
    "福州",
    "厦门",
    "泉州",
    "南昌",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "郑州",
    "洛阳",
    "武汉",
    "长沙",
    "成都",
    "贵阳",
    "昆明",
    "西安",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "呼和浩特",
    "南宁",
    "海口",
    "三亚",
    "石家庄",
    "唐山",
    "太原",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "东莞",
    "佛山",
    "珠海",
    "中山",
    "惠州",
    "汕头",
    "徐州",
    "南通",
    "扬州",
    "昆山",
    "义乌",
)
# Region suffixes a prefix may carry (广东省, 深圳市, 南山区, 自治区 …), longest first.
REGION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_PLACES = tuple(sorted(PROVINCES + CITIES, key=len, reverse=True))

# Legal forms and branch words at the end of a company name, longest first. Stripped
# repeatedly, so 某某集团股份有限公司 loses both 股份有限公司 and 集团.
LEGAL_SUFFIXES = tuple(
    sorted(
        (
            "股份有限公司",
            "有限责任公司",
            "有限公司",
            "集团公司",
            "总公司",
            "分公司",
            "子公司",
            "公司",
            "集团",
            "股份",
            "有限",
            "工作室",
            "个体工商户",
            "合伙企业",
            "有限合伙",
            "co ltd",
            "company limited",
            "co limited",
            "limited",
            "ltd",
            "inc",
            "incorporated",
            "corporation",
            "corp",
            "company",
            "co",
            "llc",
            "gmbh",
            "group",
        ),
        key=len,
        reverse=True,
    )
)

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")"})
_PUNCT = re.compile(r"[\s.,，。·・'\"“”‘’&＆\-_/、:：;；!！?？]+")
_LEADING_BRACKET = re.compile(r"^\(([^()]*)\)")
_ANY_BRACKET = re.compile(r"\(([^()]*)\)")


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def phone_key(raw: str) -> str:
    """E.164. Stored values are already E.164 and taken as they are: ``normalize_phone`` does
    not accept its own output for landlines (+86 21… lacks the trunk 0 it looks for)."""
    if raw and _E164.match(raw.strip()):
        return raw.strip()
    try:
        return normalize_phone(raw) if raw and raw.strip() else ""
    except ValueError:
        return ""


def email_key(raw: str) -> str:
    if not raw or not raw.strip():
        return ""
    try:
        return normalize_email(raw).lower()
    except ValueError:
        return ""


def credit_code_key(raw: str) -> str:
    if not raw or not raw.strip():
        return ""
    try:
        return normalize_credit_code(raw)
    except ValueError:
        return ""


def wechat_key(raw: str) -> str:
    """A WeChat id compared case-insensitively (WeChat itself ignores case)."""
    text = fold_width(raw or "").strip().lower()
    return text if len(text) >= 6 else ""


def fold(text: str) -> str:
    """Width, Unicode form, brackets and case folded; whitespace collapsed."""
    text = unicodedata.normalize("NFKC", fold_width(text or "")).translate(_BRACKETS)
    return re.sub(r"\s+", " ", text).strip().lower()


_PLACE = "(?:" + "|".join(map(re.escape, _PLACES)) + ")"
_REGION = "(?:" + "|".join(map(re.escape, REGION_SUFFIXES)) + ")?"
_LEADING_PLACE = re.compile(f"^{_PLACE}{_REGION}")
_TRAILING_PLACE = re.compile(f"(?<=.){_PLACE}{_REGION}$")


def _strip_place(text: str) -> str:
    """One leading place name with its optional 省/市/自治区 suffix, e.g. 广东省 or 深圳市
    (one regular expression: the scan runs this over every company of the base)."""
    return _LEADING_PLACE.sub("", text, count=1)


def _strip_regions(text: str) -> str:
    """Leading region prefixes (广东省深圳市…, (北京)) and a region in brackets anywhere."""
    while True:
        bracket = _LEADING_BRACKET.match(text)
        if bracket and _strip_place(bracket.group(1)) == "":
            text = text[bracket.end() :]
            continue
        stripped = _strip_place(text)
        if stripped == text or not stripped:
            break
        text = stripped
    # 某某科技(深圳)有限公司: a bracketed place inside the name.
    return _ANY_BRACKET.sub(lambda m: "" if _strip_place(m.group(1)) == "" else m.group(0), text)


def _strip_trailing_place(text: str) -> str:
    """A place name at the end (…有限公司深圳分公司 leaves …深圳 once 分公司 is gone)."""
    return _TRAILING_PLACE.sub("", text, count=1).rstrip()


def _strip_suffixes(text: str) -> str:
    while True:
        shorter = _strip_trailing_place(text)
        if shorter != text:
            text = shorter
            continue
        for suffix in LEGAL_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                before = text[: -len(suffix)]
                # A Latin suffix must be a word of its own ("co", not the end of "disco").
                if suffix.isascii() and before and before[-1].isalnum():
                    continue
                text = before.rstrip()
                break
        else:
            return text


def company_key(raw: str) -> str:
    """The core of a company's name: 广东省深圳市腾飞科技有限公司 and 腾飞科技(深圳)有限公司 →
    ``腾飞科技``; "Acme Trading Co., Ltd." → ``acmetrading``. Too short a core gives no key."""
    text = fold(raw)
    if not text:
        return ""
    text = _PUNCT.sub(" ", text).strip()
    text = _strip_regions(text)
    text = _strip_suffixes(text)
    text = _strip_regions(text)
    text = re.sub(r"[\s()]+", "", text)
    minimum = 2 if has_cjk(text) else 3
    if len(text) < minimum or text in LEGAL_SUFFIXES or text in _LEGAL_WORDS:
        return ""
    return text


_LEGAL_WORDS = frozenset({"有限", "股份"})


def city_key(raw: str) -> str:
    """A city without 市 / 省 (北京市 → 北京), so free-typed and picked values agree."""
    text = fold(raw).replace(" ", "")
    for suffix in REGION_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def name_key(raw: str, *, person: bool = True) -> str:
    """Pinyin of a name (surname readings for people); non-Chinese names lower-cased letters."""
    text = clean_text(raw or "")
    if not text:
        return ""
    return name_romanisations(text, person=person).pinyin


def name_city_key(name: str, city: str, *, pinyin: str = "") -> str:
    """Weak key: a person's name pinyin with their city. Empty without either part.

    ``pinyin``: the card's stored ``name_pinyin`` (written by the customer services with this
    same ``name_romanisations``), saving the conversion on a scan of a million cards."""
    pinyin, place = pinyin or name_key(name), city_key(city)
    return f"{pinyin}|{place}" if pinyin and place else ""


def similar_names(a: str, b: str) -> bool:
    """Same name after folding, or one contains the other and the shorter has three or more
    characters (腾飞科技 / 腾飞科技中心 yes; 张三 / 张三丰 no): a cheap, symmetric test."""
    x, y = re.sub(r"\s+", "", fold(a)), re.sub(r"\s+", "", fold(b))
    if not x or not y:
        return False
    if x == y:
        return True
    short, long = sorted((x, y), key=len)
    return len(short) >= 3 and short in long
