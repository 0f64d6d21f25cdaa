"""One source row → the values of the mapped fields, or the problems found reading them.

Blank cells are left out (an update never clears a field because a cell is empty). Each
value is read by its field's ``parse`` (see ``headers.FieldSpec``) with the pure readers of
``tiercard.imports.values``; what a reader refuses becomes a :class:`RowProblem` naming the
row, the column's header and the field. Choice cells match a code, a label in either
language or a common office synonym (男/女, 微信支付, 拜访 ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import TextChoices
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.core.text import fold_width
from tiercard.customers.models import CustomerKind, Gender, SourceChannel
from tiercard.customers.validation import split_values
from tiercard.imports import values
from tiercard.imports.cells import REPLACEMENT
from tiercard.imports.headers import FieldSpec, fields_for
from tiercard.imports.models import ImportKind
from tiercard.imports.problems import RowProblem
from tiercard.interactions.models import InteractionKind, InteractionOutcome
from tiercard.loyalty.services.state import active_programme
from tiercard.sales.models import PaymentMethod, SalesChannel

SYNONYMS: dict[tuple[str, str], tuple[type[TextChoices], dict[str, str]]] = {
    (ImportKind.CUSTOMERS, "kind"): (
        CustomerKind,
        {"个人": "person", "企业": "company", "公司": "company", "单位": "company"},
    ),
    (ImportKind.CUSTOMERS, "gender"): (
        Gender,
        {
            "男": "male",
            "女": "female",
            "m": "male",
            "f": "female",
            "先生": "male",
            "女士": "female",
        },
    ),
    (ImportKind.CUSTOMERS, "source_channel"): (
        SourceChannel,
        {"转介绍": "referral", "介绍": "referral", "官网": "website", "微信": "wechat"},
    ),
    (ImportKind.PURCHASES, "channel"): (
        SalesChannel,
        {"门店": "store", "线下": "store", "线上": "online", "网店": "online", "电话": "phone"},
    ),
    (ImportKind.PURCHASES, "payment_method"): (
        PaymentMethod,
        {
            "微信": "wechat_pay",
            "支付宝": "alipay",
            "现金": "cash",
            "刷卡": "bank_card",
            "银行卡": "bank_card",
            "转账": "transfer",
            "挂账": "credit",
        },
    ),
    (ImportKind.INTERACTIONS, "kind"): (
        InteractionKind,
        {
            "电话": "call",
            "来电": "call",
            "去电": "call",
            "微信": "wechat",
            "短信": "sms",
            "邮件": "email",
            "拜访": "visit",
            "上门": "visit",
            "会议": "meeting",
            "面谈": "meeting",
            "备注": "note",
        },
    ),
    (ImportKind.INTERACTIONS, "outcome"): (
        InteractionOutcome,
        {
            "积极": "positive",
            "正面": "positive",
            "良好": "positive",
            "一般": "neutral",
            "中性": "neutral",
            "消极": "negative",
            "负面": "negative",
            "未接通": "no_answer",
            "未接": "no_answer",
            "无人接听": "no_answer",
        },
    ),
}


def _fold(text: str) -> str:
    return "".join(fold_width(text).lower().split())


def choice_index(kind: str, name: str) -> dict[str, str]:
    """Folded code, label (every language) or synonym → code."""
    choices, extra = SYNONYMS[(kind, name)]
    index: dict[str, str] = {}
    for code, label in choices.choices:
        if not code:
            continue
        index[_fold(code)] = code
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                index.setdefault(_fold(str(label)), code)
    for word, code in extra.items():
        index.setdefault(_fold(word), code)
    return index


def _as_read(text: str) -> str:
    """A text cell as ``reading`` gives it: already cleaned."""
    return text


def _unreadable(number: int, column: str, name: str) -> RowProblem:
    return RowProblem(
        row=number,
        code="unreadable_character",
        message=_(
            "The cell holds “�”: a NUL character or text an earlier program could not "
            "read. Imported as it stands; correct it on the card if needed."
        ),
        column=column,
        field=name,
        severity="warning",
    )


class CellRefused(Exception):
    """A cell this module refuses itself (choices, users); like ``values.ValueProblem``."""

    def __init__(self, code: str, message: str | Promise, value: str) -> None:
        super().__init__(code)
        self.code, self.message, self.params = code, message, {"value": value}


@dataclass
class ParsedRow:
    number: int
    cells: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)  # warnings: the row is still valid

    @property
    def valid(self) -> bool:
        return not self.problems


class RowReader:
    """Reads rows of one batch: built once per run (choice indexes, tiers, users)."""

    def __init__(self, kind: str, mapping: Mapping[int, str], headers: Sequence[str]) -> None:
        self.kind = kind
        specs = {spec.name: spec for spec in fields_for(kind)}
        self.columns: list[tuple[int, FieldSpec, str]] = [
            (index, specs[name], headers[index] if index < len(headers) else f"#{index + 1}")
            for index, name in sorted(mapping.items())
            if name in specs
        ]
        self.header_of = {spec.name: header for _i, spec, header in self.columns}
        self._choices: dict[str, dict[str, str]] = {}
        self._parsers: dict[str, Callable[[str], Any]] = {}

    @cached_property
    def tiers(self) -> list[tuple[str, str, str]]:
        ladder = active_programme().programme.ladder
        return [(t.code, t.name_zh, t.name_en) for t in ladder.tiers]

    @cached_property
    def users(self) -> dict[str, list[int]]:
        """Folded user name, display name or full name → active user ids."""
        found: dict[str, list[int]] = {}
        for pk, username, display, first, last in User.objects.filter(is_active=True).values_list(
            "pk", "username", "display_name", "first_name", "last_name"
        ):
            for text in {username, display, f"{last}{first}", f"{first} {last}"}:
                key = _fold(text or "")
                if key and pk not in found.setdefault(key, []):
                    found[key].append(pk)
        return found

    def _choice(self, name: str, text: str) -> str:
        if name not in self._choices:
            self._choices[name] = choice_index(self.kind, name)
        code = self._choices[name].get(_fold(text))
        if code is None:
            raise CellRefused("bad_choice", _("“%(value)s” is not one of the choices."), text)
        return code

    def _owner(self, text: str) -> int:
        ids = self.users.get(_fold(text), [])
        if len(ids) != 1:
            raise CellRefused(
                "unknown_user", _("No single active user is called “%(value)s”."), text
            )
        return ids[0]

    def _parser(self, spec: FieldSpec) -> Callable[[str], Any]:
        simple: dict[str, Callable[[str], Any]] = {
            "text": _as_read,  # cells arrive cleaned: nothing to do
            "date": values.parse_date,
            "datetime": values.parse_datetime,
            "amount": values.parse_amount,
            "int": values.parse_int,
            "quantity": values.parse_quantity,
            "credit_code": values.parse_credit_code,
        }
        if spec.parse in simple:
            return simple[spec.parse]
        if spec.parse == "phone":
            return lambda text: [values.parse_phone(p) for p in split_values(text)]
        if spec.parse == "email":
            return lambda text: [values.parse_email(p) for p in split_values(text)]
        if spec.parse == "list":
            return split_values
        if spec.parse == "choice":
            return lambda text: self._choice(spec.name, text)
        if spec.parse == "tier":
            return lambda text: values.parse_tier(text, self.tiers)
        if spec.parse == "owner":
            return self._owner
        raise ValueError(f"unknown parse {spec.parse!r}")

    def read(self, number: int, cells: tuple[str, ...]) -> ParsedRow:
        """One row of ``reading.open_table``, whose cells come cleaned (``clean_cell``)."""
        row = ParsedRow(number=number, cells=cells)
        for index, spec, header in self.columns:
            text = cells[index] if index < len(cells) else ""
            if not text:
                continue
            if REPLACEMENT in text:
                row.notes.append(_unreadable(number, header, spec.name))
            parse = self._parsers.get(spec.name)
            if parse is None:  # built once per column, not per cell
                parse = self._parsers[spec.name] = self._parser(spec)
            try:
                row.values[spec.name] = parse(text)
            except (values.ValueProblem, CellRefused) as problem:
                row.problems.append(
                    RowProblem(
                        row=number,
                        code=problem.code,
                        message=problem.message,
                        column=header,
                        field=spec.name,
                        params=getattr(problem, "params", {}),
                    )
                )
        # One phone / email per link field: the first listed finds the customer.
        for name in ("phone",):
            if isinstance(row.values.get(name), list):
                listed = row.values.pop(name)
                if listed:
                    row.values[name] = listed[0]
        return row

    def read_all(self, source: Iterator[Any]) -> Iterator[ParsedRow]:
        for source_row in source:
            yield self.read(source_row.number, tuple(source_row.cells))
