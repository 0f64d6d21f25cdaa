"""Text folding and Chinese name romanisation for search.

- :func:`fold_width` turns full-width ASCII (Ｚｈａｎｇ１２３) and the ideographic space into
  half-width, the way people type on Chinese input methods.
- :func:`name_romanisations` gives full pinyin and initials, reading the surname with its
  surname pronunciation (单 → shan, 曾 → zeng, 区 → ou), compound surnames included.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from tiercard.core.width import HALF_WIDTH
from tiercard.core.width import fold_width as fold_width  # where callers look for it

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

SYLLABLES_MEMO = 65_536

# Surname readings that differ from the common reading of the character.
SURNAME_READINGS: dict[str, list[str]] = {
    "单": ["shan"],
    "曾": ["zeng"],
    "区": ["ou"],
    "仇": ["qiu"],
    "解": ["xie"],
    "查": ["zha"],
    "朴": ["piao"],
    "乐": ["yue"],
    "盖": ["ge"],
    "缪": ["miao"],
    "覃": ["qin"],
    "秘": ["bi"],
    "召": ["shao"],
    "翟": ["zhai"],
    "宓": ["mi"],
    "折": ["she"],
    "种": ["chong"],
    "员": ["yun"],
    "繁": ["po"],
    "蕃": ["pi"],
    "任": ["ren"],
    "燕": ["yan"],
    "华": ["hua"],
    "纪": ["ji"],
    "盛": ["sheng"],
    "尉": ["yu"],
    "句": ["gou"],
    "阚": ["kan"],
    "谌": ["chen"],
    "冼": ["xian"],
    "过": ["guo"],
    "亓": ["qi"],
    "柏": ["bai"],
    "石": ["shi"],
    "沈": ["shen"],
    "重": ["chong"],
    "莘": ["shen"],
    "洗": ["xian"],
    "祭": ["zhai"],
    "能": ["nai"],
    "相": ["xiang"],
    "长孙": ["zhang", "sun"],
    "尉迟": ["yu", "chi"],
    "万俟": ["mo", "qi"],
}
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "万俟",
        "澹台",
        "端木",
        "轩辕",
        "呼延",
        "南宫",
        "西门",
        "独孤",
        "钟离",
        "闻人",
        "赫连",
        "申屠",
        "公羊",
        "太史",
        "濮阳",
        "淳于",
        "单于",
        "拓跋",
    }
)


def clean_text(text: str) -> str:
    """NFC-normalise, fold width, collapse runs of whitespace, strip."""
    if not text.isascii():  # ASCII is already NFC and half-width
        text = unicodedata.normalize("NFC", text.translate(HALF_WIDTH))
    return " ".join(text.split())  # str.split's whitespace is the regex ``\s``'s


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def split_surname(name: str) -> tuple[str, str]:
    """Split a Chinese personal name into (surname, given name); compound surnames first."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


@dataclass(frozen=True)
class Romanisation:
    pinyin: str  # "zhangsan", surname read as a surname
    initials: str  # "zs"
    variants: tuple[str, ...]  # other full-pinyin readings worth matching (common reading)


@functools.lru_cache(maxsize=SYLLABLES_MEMO)
def _syllables(text: str) -> tuple[str, ...]:
    """Lower-case pinyin syllables of ``text``, memoised: surnames and given names repeat
    across a customer base, and pypinyin's phrase lookup is the costly part of a large
    import's derived columns."""
    return tuple(
        s.lower() for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if s.strip()
    )


def name_romanisations(name: str, *, person: bool = True) -> Romanisation:
    """Pinyin and initials of a name. Non-Chinese names romanise to themselves, lower-cased.

    A person's first character is read as a surname (单 → shan); an organisation's name is
    read as a phrase, so 长沙… starts ``changsha``, not the surname reading ``zhang``.
    """
    name = clean_text(name)
    if not has_cjk(name):
        word = re.sub(r"[^0-9a-z]", "", name.lower())
        initials = "".join(part[0] for part in re.findall(r"[0-9a-z]+", name.lower()))
        return Romanisation(pinyin=word, initials=initials, variants=())
    compact = "".join(name.split())
    common = _syllables(compact)
    if not person:
        return Romanisation(
            pinyin="".join(common), initials="".join(s[0] for s in common if s), variants=()
        )
    surname, given = split_surname(compact)
    surname_syllables = SURNAME_READINGS.get(surname) or list(_syllables(surname))
    syllables = surname_syllables + list(_syllables(given))
    pinyin = "".join(syllables)
    variants = tuple({"".join(common)} - {pinyin})
    return Romanisation(
        pinyin=pinyin,
        initials="".join(s[0] for s in syllables if s),
        variants=variants,
    )
