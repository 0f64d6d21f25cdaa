"""The 简体中文 catalogue: complete, compiled, current with the source, and what users see.

One catalogue serves the whole project (``tiercard/locale``). The .po file is read with a
small parser of its own (polib is not a project dependency) and compared with the compiled
.mo as Python's ``gettext`` reads it.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.imports.core_support import check, write_csv
from tiercard.accounts.models import User
from tiercard.accounts.services import api_token_create
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back
from tiercard.imports.report import error_report
from tiercard.listviews.export import member_table_export
from tiercard.listviews.table import COLUMN_KEYS, TableView
from tiercard.printing.table_pdf import table_sheet

PACKAGE = Path(settings.BASE_DIR) / "tiercard"
LOCALE = PACKAGE / "locale"
MESSAGES = LOCALE / "zh_Hans" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    """Requests leave their language active in the thread; later tests expect the default."""
    before = translation.get_language()
    yield
    translation.activate(before)


# --- A small .po parser ---------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    def where(self) -> str:
        return f"{self.msgid!r} ({' '.join(self.references) or 'no reference'})"


KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _string(literal: str) -> str:
    """A C-style quoted string as gettext writes it (same escapes as Python's)."""
    value = ast.literal_eval(literal)
    assert isinstance(value, str)
    return value


def parse_po(text: str) -> list[Entry]:
    entries: list[Entry] = []
    entry = Entry()
    started = False  # the current entry has a keyword line
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        elif line.startswith("#,"):
            if started:
                finish()
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        elif line.startswith("#:"):
            if started:
                finish()
            entry.references.extend(line[2:].split())
            continue
        elif line.startswith("#"):
            if started:
                finish()
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            if keyword in {"msgid", "msgctxt"} and started and target and target[0] == "msgstr":
                finish()
            started = True
            value = _string(literal)
            if keyword == "msgctxt":
                entry.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                entry.msgid, target = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                entry.msgstr[slot] = value
                target = ("msgstr", slot)
        elif line.startswith('"') and target is not None:
            value = _string(line)
            kind, slot = target
            if kind == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif kind == "msgid":
                entry.msgid += value
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                entry.msgstr[slot] += value
        else:
            raise AssertionError(f"{PO.name}:{number}: cannot read {raw!r}")
    finish()
    return entries


def po_entries(path: Path = PO) -> list[Entry]:
    return parse_po(path.read_text("utf-8"))


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_header and not e.obsolete]


PLACEHOLDER = re.compile(
    r"%\((?P<name>[^)]+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
    r"|\{[A-Za-z0-9_.]*\}"  # {} {0} {name}
)


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text.replace("%%", "")))


def test_the_parser_reads_what_gettext_writes() -> None:
    sample = "\n".join(
        [
            'msgid ""',
            'msgstr ""',
            '"Language: zh_Hans\\n"',
            "",
            "#: a.py:1",
            "#, fuzzy, python-format",
            'msgid "Hello %(name)s, "',
            '"say \\"hi\\""',
            'msgstr "你好"',
            "",
            'msgctxt "verb"',
            'msgid "Store"',
            'msgstr "存储"',
            "",
            'msgid "one"',
            'msgid_plural "%(n)d items"',
            'msgstr[0] "%(n)d 项"',
            "",
            '#~ msgid "gone"',
            '#~ msgstr "没了"',
        ]
    )
    header, hello, store, plural, gone = parse_po(sample)

    assert header.is_header and header.msgstr[0] == "Language: zh_Hans\n"
    assert hello.msgid == 'Hello %(name)s, say "hi"'
    assert hello.flags == {"fuzzy", "python-format"} and hello.references == ["a.py:1"]
    assert (store.key, store.msgstr) == ("verb\x04Store", {0: "存储"})
    assert plural.msgid_plural == "%(n)d items" and plural.msgstr == {0: "%(n)d 项"}
    assert gone.obsolete
    assert placeholders("%(n)d of {} and %s, 100%%") == ["%(n)d", "%s", "{}"]


# --- (a) The catalogue is complete -----------------------------------------------------------


def test_the_catalogue_is_simplified_chinese_with_one_plural_form() -> None:
    header = next(e for e in po_entries() if e.is_header)
    text = header.msgstr[0]

    assert "Language: zh_Hans\n" in text
    assert "Plural-Forms: nplurals=1; plural=0;\n" in text
    assert "charset=UTF-8" in text
    assert "fuzzy" not in header.flags


def test_every_entry_is_translated_and_none_is_fuzzy_or_obsolete() -> None:
    entries = po_entries()
    found = messages(entries)

    assert len(found) > 400  # domain, web and API strings together
    assert [e.where() for e in found if "fuzzy" in e.flags] == []
    assert [e.where() for e in entries if e.obsolete] == []
    untranslated = [
        e.where()
        for e in found
        if not e.msgstr
        or any(not s.strip() for s in e.msgstr.values())
        or sorted(e.msgstr) != [0]  # Chinese has exactly one plural form: msgstr[0]
    ]
    assert untranslated == []


def test_every_placeholder_of_the_msgid_is_kept_in_the_translation() -> None:
    wrong = []
    for e in messages(po_entries()):
        # Chinese has one form, which says what the English plural says.
        expected = placeholders(e.msgid_plural if e.msgid_plural is not None else e.msgid)
        got = placeholders(e.msgstr.get(0, ""))
        if expected != got:
            wrong.append(f"{e.where()}: {expected} != {got}")
    assert wrong == []


def test_chinese_sentences_use_full_width_punctuation() -> None:
    """A translation written in Chinese ends with 。？！ where the English ends with . ? !"""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    wrong = [
        f"{e.where()} → {e.msgstr[0]!r}"
        for e in messages(po_entries())
        if cjk.search(e.msgstr[0])
        and e.msgstr[0].rstrip()[-1:] in {".", ",", "?", "!", ":", ";"}
        and not re.search(r"\.\w+$", e.msgstr[0])  # not a file name
    ]
    assert wrong == []


def test_the_api_has_no_catalogue_of_its_own() -> None:
    assert [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("locale") if p != LOCALE] == []
    assert [Path(p) for p in settings.LOCALE_PATHS] == [LOCALE]


# --- (b) The compiled catalogue is the .po file ----------------------------------------------


def test_the_compiled_catalogue_is_up_to_date_with_the_po_file() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog: dict[object, str] = dict(compiled._catalog)  # type: ignore[attr-defined]
    header = catalog.pop("", "")

    expected: dict[object, str] = {}
    for e in messages(po_entries()):
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            for slot, text in e.msgstr.items():
                expected[(e.key, slot)] = text

    assert "Language: zh_Hans" in header
    stale = sorted(str(k) for k in expected.keys() - catalog.keys())
    extra = sorted(str(k) for k in catalog.keys() - expected.keys())
    differ = sorted(str(k) for k in expected.keys() & catalog.keys() if expected[k] != catalog[k])
    assert (stale, extra, differ) == ([], [], []), "run compilemessages -l zh_Hans"


# Names ``makemessages`` passes to xgettext as keywords, plus xgettext's own Python defaults.
# A string wrapped in any other name (``gettext as _t``) is translated at run time but never
# extracted, so it stays English in every language and no catalogue test notices.
EXTRACTED = frozenset(
    {
        "_",
        "gettext",
        "ngettext",
        "gettext_noop",
        "gettext_lazy",
        "ngettext_lazy",
        "pgettext",
        "npgettext",
        "pgettext_lazy",
        "npgettext_lazy",
    }
)
TRANSLATING = frozenset(EXTRACTED - {"_"})  # the functions django.utils.translation offers


def hidden_translation_names(source: str) -> list[str]:
    """``line: name`` for each translation function bound to a name xgettext does not read.

    Catches ``from django.utils.translation import gettext as t`` and ``t = gettext`` (or
    ``t = translation.gettext``) after such an import.
    """
    found = []
    bound: set[str] = set()  # local names that are translation functions
    modules: set[str] = set()  # local names of the django.utils.translation module
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name not in TRANSLATING:
                    continue
                local = alias.asname or alias.name
                bound.add(local)
                if local not in EXTRACTED:
                    found.append(f"{node.lineno}: {alias.name} as {local}")
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules.update(a.asname or a.name for a in node.names if a.name == "translation")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        value = node.value
        is_function = (isinstance(value, ast.Name) and value.id in bound) or (
            isinstance(value, ast.Attribute)
            and value.attr in TRANSLATING
            and isinstance(value.value, ast.Name)
            and value.value.id in modules
        )
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if is_function and isinstance(target, ast.Name) and target.id not in EXTRACTED:
                found.append(f"{node.lineno}: {target.id} = {ast.unparse(value)}")
    return found


def test_the_alias_check_finds_names_xgettext_does_not_read() -> None:
    source = "\n".join(
        [
            "from django.utils import translation",
            "from django.utils.translation import gettext as _t, gettext_lazy as _",
            "from django.utils.translation import pgettext, ngettext as plural",
            "from django.utils.translation import get_language as lang",
            "tr = pgettext",
            "also = translation.gettext_lazy",
            "_ = pgettext",
            "fine = len",
        ]
    )

    assert hidden_translation_names(source) == [
        "2: gettext as _t",
        "3: ngettext as plural",
        "5: tr = pgettext",
        "6: also = translation.gettext_lazy",
    ]


def test_every_translated_string_is_wrapped_in_a_name_makemessages_extracts() -> None:
    hidden = [
        f"{path.relative_to(PACKAGE)}:{where}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for where in hidden_translation_names(path.read_text("utf-8"))
    ]
    assert hidden == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_the_catalogue_holds_every_string_of_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    """Regenerating the catalogue from the source adds nothing and leaves nothing untranslated.

    Runs ``makemessages`` on a copy of the package, so the real catalogue is never touched.
    """
    copy = tmp_path / "tiercard"
    shutil.copytree(
        PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static", "*.mo")
    )
    settings.LOCALE_PATHS = [copy / "locale"]  # type: ignore[attr-defined]
    monkeypatch.chdir(copy)

    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, stdout=StringIO())

    before = {e.key for e in messages(po_entries())}
    after = messages(po_entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert sorted(e.key for e in after if e.key not in before) == [], "run makemessages"
    assert sorted(before - {e.key for e in after}) == [], "run makemessages --no-obsolete"
    assert [e.where() for e in after if "fuzzy" in e.flags] == []


# --- (c) Pages speak Chinese first, and English when asked -----------------------------------


class _VisibleText(HTMLParser):
    """Text a user reads on the page: text nodes outside <script>, <style> and <head>."""

    HIDDEN = frozenset({"script", "style", "head", "template"})

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in {"input", "textarea"} and not self.hidden:
            # placeholders are read too
            self.parts.extend(v for k, v in attrs if k == "placeholder" and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: bytes) -> str:
    parser = _VisibleText()
    parser.feed(html.decode())
    return " ".join(" ".join(parser.parts).split())


def shows(text: str, label: str) -> bool:
    """Whole-word match for English labels (so "Edit" is not found inside "Edited")."""
    if re.search(r"[\u4e00-\u9fff]", label):
        return label in text
    return re.search(rf"(?<![A-Za-z]){re.escape(label)}(?![A-Za-z])", text) is not None


LIST_LABELS = {
    "Customers": "客户",
    "The customers you look after, graded by tier.": "您负责的客户，按等级分级管理。",
    "Purchase frequency": "消费频率",
    "Service record": "服务记录",
    "Save view": "保存视图",
    "New customer": "新建客户",
    "Search": "搜索",
    "All but archived": "除已归档外全部",
    "All types": "全部类型",
    "Sort by": "排序",
    "Newest registrations": "最新注册",
    "Per page": "每页条数",
    "Registered": "注册日期",
    "Orders": "订单数",
    "Total spend": "累计消费",
    "Last purchase": "最近消费",
    "Account manager": "客户经理",
    "Tags": "标签",
    "Sign out": "退出登录",
    "Tiered customer cards": "分级客户管理卡",
}
CARD_LABELS = {
    "Record purchase": "记录消费",
    "Log interaction": "记录沟通",
    "Average order": "客单价",
    "Last contact": "最近联系",
    "Timeline": "时间线",
    "Purchases": "消费记录",
    "Interactions": "沟通记录",
    "Card changes": "档案变更",
    "Card created": "档案已创建",
    "Edit": "编辑",
    "Needs and preferences": "需求与偏好",
    "Mobile": "手机",
}


@pytest.fixture
def signed_in(client: Client, users: dict[str, User]) -> Client:
    assert client.login(username="rep_east1", password=PASSWORD)
    return client


def _pages(client: Client, customer: Customer) -> dict[str, str]:
    pages = {}
    for name, url in (("list", "/customers/"), ("card", f"/customers/{customer.pk}/")):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[name] = visible_text(response.content)
    return pages


def _check(pages: dict[str, str], *, english: bool) -> list[str]:
    problems = []
    for page, labels in (("list", LIST_LABELS), ("card", CARD_LABELS)):
        text = pages[page]
        for en, zh in labels.items():
            wanted, unwanted = (en, zh) if english else (zh, en)
            if not shows(text, wanted):
                problems.append(f"{page}: {wanted!r} is missing")
            if shows(text, unwanted):
                problems.append(f"{page}: {unwanted!r} is shown")
    return problems


def test_pages_are_in_chinese_by_default_and_in_english_after_switching(
    signed_in: Client, book: dict[str, Customer]
) -> None:
    customer = book["east1"]

    chinese = _pages(signed_in, customer)
    assert _check(chinese, english=False) == []
    assert not shows(chinese["list"], "Customers")

    response = signed_in.post("/language/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302

    english = _pages(signed_in, customer)
    assert _check(english, english=True) == []
    assert "退出登录" not in english["list"] and "记录消费" not in english["card"]


def test_the_language_switch_itself_reads_in_both_languages(signed_in: Client) -> None:
    text = visible_text(signed_in.get("/customers/").content)

    assert "简体中文" in text and "English" in text


# --- (d) The API answers in Chinese unless asked for English ---------------------------------


@pytest.fixture
def bearer(users: dict[str, User]) -> Callable[..., Client]:
    cache.clear()  # rate-limit counters live in the cache and user ids repeat across tests
    user = users["rep_east1"]
    secret = api_token_create(actor=user, user=user, name="translations")[1]

    def make(**headers: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {secret}", **headers})

    return make


def test_api_not_found_is_chinese_by_default(bearer: Callable[..., Client]) -> None:
    response = bearer().get("/api/v1/customers/999999")

    assert response.status_code == 404
    assert response.json()["message"] == "未找到。"
    assert response["Content-Language"] == "zh-hans"


def test_api_not_found_is_english_when_asked(bearer: Callable[..., Client]) -> None:
    response = bearer(**{"Accept-Language": "en"}).get("/api/v1/customers/999999")

    assert response.status_code == 404
    assert response.json()["message"] == "Not found."
    assert response["Content-Language"] == "en"


# --- (e) Files speak the user's language too ---------------------------------------------------
# Each compares the English and the Chinese file label by label: a label equal in both is a
# string the catalogue lacks. They need the 简体中文 catalogue to hold the file's strings.


def _both(make: Callable[[], list[str]]) -> list[str]:
    """The labels ``make`` gives in English that stay the same in Chinese."""
    with translation.override("en"):
        english = [str(label) for label in make()]
    with translation.override("zh-hans"):
        chinese = [str(label) for label in make()]
    assert len(english) == len(chinese)
    return [en for en, zh in zip(english, chinese, strict=True) if en == zh]


@pytest.mark.django_db
def test_the_member_table_export_and_print_headers_are_translated(
    users: dict[str, User], book: dict[str, Customer]
) -> None:

    view = TableView(columns=COLUMN_KEYS)
    admin = users["admin"]

    def exported() -> list[str]:
        chunks = member_table_export(actor=admin, view=view, fmt="csv").chunks
        return read_back(b"".join(chunks))[0]

    def printed() -> list[str]:
        return [c.header for c in table_sheet(viewer=admin, view=view, limit=10).columns]

    assert _both(exported) == []
    assert _both(printed) == []


@pytest.mark.django_db
def test_the_import_error_report_headers_are_translated(
    users: dict[str, User], tmp_path: Path, settings: object
) -> None:

    settings.TIERCARD_IMPORT_DIR = tmp_path / "store"  # type: ignore[attr-defined]
    path = write_csv(tmp_path, [["姓名", "手机"], ["", "13812340004"]])
    batch = check(users["rep_east1"], "customers", path)

    def header() -> list[str]:
        report = error_report(viewer=users["rep_east1"], batch_id=batch.pk)
        sheet = load_workbook(io.BytesIO(b"".join(report.chunks))).active
        assert sheet is not None
        return [str(c) for c in next(sheet.iter_rows(max_row=1, values_only=True))][:2]

    assert _both(header) == []
