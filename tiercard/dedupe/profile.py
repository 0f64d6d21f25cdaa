"""What a card says about who the customer is, reduced to match keys; and two cards compared.

Pure: a :class:`Profile` is built from plain values (a card's columns and contact points, or
the values typed into a create form or an import row) and gives its keys. Only companies get
a company key (a person's employer identifies the employer, not the person) and only people a
name-and-city key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiercard.core.text import clean_text
from tiercard.dedupe import keys
from tiercard.dedupe.scoring import Reason, Score, score

SPLIT = (",", ";", "，", "；", "、", "\n")


def _values(raw: object) -> tuple[str, ...]:
    """A list, or a string of values separated by commas, semicolons or new lines."""
    if raw is None:
        return ()
    if isinstance(raw, list | tuple | set | frozenset):
        items = [str(item) for item in raw]
    else:
        text = str(raw)
        for sep in SPLIT[1:]:
            text = text.replace(sep, SPLIT[0])
        items = text.split(SPLIT[0])
    return tuple(clean_text(item) for item in items if item and str(item).strip())


@dataclass(frozen=True)
class Profile:
    name: str = ""
    company: bool = False
    city: str = ""
    company_name: str = ""
    credit_code: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    wechats: tuple[str, ...] = ()
    pinyin: str = ""  # the stored name_pinyin of a card, when known
    extra_keys: frozenset[tuple[int, str]] = field(default_factory=frozenset)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Profile:
        """From create/import values (the keys ``customers.services.customer_create`` takes);
        unknown or invalid values are ignored: they only fail to match."""
        return cls(
            name=clean_text(str(values.get("name") or "")),
            company=str(values.get("kind") or "") == "company",
            city=clean_text(str(values.get("city") or "")),
            company_name=clean_text(str(values.get("company_name") or "")),
            credit_code=clean_text(str(values.get("credit_code") or "")),
            phones=_values(values.get("phones")),
            emails=_values(values.get("emails")),
            wechats=_values(values.get("wechat")),
        )

    def keys(self) -> frozenset[tuple[int, str]]:
        """(``Reason`` bit, value) pairs; empty keys are left out."""
        found: set[tuple[int, str]] = set(self.extra_keys)

        def add(reason: Reason, value: str) -> None:
            if value:
                found.add((int(reason), value))

        for phone in self.phones:
            add(Reason.PHONE, keys.phone_key(phone))
        for email in self.emails:
            add(Reason.EMAIL, keys.email_key(email))
        for wechat in self.wechats:
            add(Reason.WECHAT, keys.wechat_key(wechat))
        add(Reason.CREDIT_CODE, keys.credit_code_key(self.credit_code))
        if self.company:
            add(Reason.COMPANY, keys.company_key(self.name))
            add(Reason.COMPANY, keys.company_key(self.company_name))
        else:
            add(Reason.NAME_CITY, keys.name_city_key(self.name, self.city, pinyin=self.pinyin))
        return frozenset(found)


def shared_reasons(a: Iterable[tuple[int, str]], b: Iterable[tuple[int, str]]) -> set[Reason]:
    return {Reason(kind) for kind, _value in set(a) & set(b)}


def compare(a: Profile, b: Profile) -> Score:
    """The score of two profiles: the keys they share, plus a similar name."""
    reasons = shared_reasons(a.keys(), b.keys())
    if keys.similar_names(a.name, b.name):
        reasons.add(Reason.SIMILAR_NAME)
    return score(reasons)
