"""Card templates as data: which sections and fields a tier's card shows, which it requires.

Pure Python (no database). The catalogue names every section and field a card can have; a
:class:`Layout` says, per section and per field, whether it is shown, whether it is required
and its priority (1 comes first). A layout is stored as JSON on ``cards.CardTemplate`` and
always passes :func:`parse_layout` before it is stored, so a stored layout is valid:

* every section and field named exists in the catalogue, and a field sits in its own section;
* nothing is named twice;
* a required field is shown, in a shown section;
* priorities are whole numbers from 1 to 999.

Catalogue entries a stored layout does not mention are hidden, so adding a field to the
catalogue later changes no card until an administrator shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import ValidationFailed

MIN_PRIORITY, MAX_PRIORITY = 1, 999
DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    # The customer form's field that edits it ("" = a contact person, added on its own page).
    form_field: str


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str | Promise
    fields: tuple[FieldSpec, ...] = ()

    @property
    def panel(self) -> bool:
        """A panel shows records (history, points), not fields of the card."""
        return not self.fields


def _f(name: str, label: str | Promise, form_field: str | None = None) -> FieldSpec:
    return FieldSpec(name, label, name if form_field is None else form_field)


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "basic",
        _("Basic information"),
        (
            _f("phone", _("Phone"), "phones"),
            _f("email", _("Email"), "emails"),
            _f("wechat", _("WeChat")),
            _f("gender", _("Gender")),
            _f("birthday", _("Birthday")),
            _f("occupation", _("Occupation")),
            _f("company_name", _("Company")),
            _f("position", _("Position")),
            _f("source_channel", _("Source channel")),
        ),
    ),
    SectionSpec(
        "address",
        _("Address"),
        (
            _f("province", _("Province / region")),
            _f("city", _("City")),
            _f("district", _("District")),
            _f("address", _("Address")),
            _f("postal_code", _("Postal code")),
        ),
    ),
    SectionSpec(
        "contacts",
        _("Contact persons"),
        (
            _f("contact_person", _("A contact person"), ""),
            _f("decision_maker", _("The decision maker"), ""),
        ),
    ),
    SectionSpec(
        "business",
        _("Business information"),
        (
            _f("industry", _("Industry")),
            _f("company_size", _("Company size")),
            _f("credit_code", _("Unified social credit code")),
            _f("business_scope", _("Business scope")),
            _f("main_products", _("Main products")),
        ),
    ),
    SectionSpec(
        "financial",
        _("Financial information"),
        (
            _f("credit_rating", _("Credit rating")),
            _f("credit_limit", _("Credit limit")),
            _f("payment_terms", _("Payment terms")),
            _f("payment_capacity", _("Payment capacity")),
            _f("credit_notes", _("Credit record")),
        ),
    ),
    SectionSpec(
        "preferences",
        _("Needs and preferences"),
        (
            _f("needs", _("Needs")),
            _f("interests", _("Interests")),
            _f("preferences", _("Preferences")),
            _f("special_needs", _("Special needs")),
        ),
    ),
    SectionSpec(
        "consent",
        _("Consent (PIPL)"),
        (
            _f("consent_data", _("Consents to data processing")),
            _f("consent_marketing", _("Consents to marketing")),
            _f("consent_source", _("Consent obtained via")),
        ),
    ),
    SectionSpec("purchases", _("Purchases")),
    SectionSpec("loyalty", _("Tier and points")),
    SectionSpec("timeline", _("Timeline")),
    SectionSpec("notes", _("Notes")),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
FIELD_SECTION = {f.name: s.key for s in SECTIONS for f in s.fields}
FIELD_BY_NAME = {f.name: f for s in SECTIONS for f in s.fields}


@dataclass(frozen=True)
class FieldRule:
    name: str
    shown: bool = True
    required: bool = False
    priority: int = 100


@dataclass(frozen=True)
class SectionRule:
    key: str
    shown: bool = True
    priority: int = 100
    fields: tuple[FieldRule, ...] = ()

    def field(self, name: str) -> FieldRule:
        for rule in self.fields:
            if rule.name == name:
                return rule
        return FieldRule(name, shown=False, priority=MAX_PRIORITY)


@dataclass(frozen=True)
class Layout:
    sections: tuple[SectionRule, ...]

    def section(self, key: str) -> SectionRule:
        for rule in self.sections:
            if rule.key == key:
                return rule
        return SectionRule(key, shown=False, priority=MAX_PRIORITY)

    def shows(self, key: str) -> bool:
        return self.section(key).shown

    def ordered_sections(self) -> list[tuple[SectionSpec, SectionRule]]:
        """Every catalogue section with its rule, by priority then catalogue order."""
        pairs = [(spec, self.section(spec.key)) for spec in SECTIONS]
        order = {spec.key: i for i, spec in enumerate(SECTIONS)}
        return sorted(pairs, key=lambda p: (p[1].priority, order[p[0].key]))

    def shown_fields(self, key: str) -> list[tuple[FieldSpec, FieldRule]]:
        """The shown fields of a shown section, by priority then catalogue order."""
        section = self.section(key)
        if not section.shown:
            return []
        spec = SECTION_BY_KEY[key]
        pairs = [(f, section.field(f.name)) for f in spec.fields]
        order = {f.name: i for i, f in enumerate(spec.fields)}
        shown = [p for p in pairs if p[1].shown]
        return sorted(shown, key=lambda p: (p[1].priority, order[p[0].name]))

    def to_json(self) -> dict[str, Any]:
        return {
            "sections": [
                {
                    "key": s.key,
                    "shown": s.shown,
                    "priority": s.priority,
                    "fields": [
                        {
                            "name": f.name,
                            "shown": f.shown,
                            "required": f.required,
                            "priority": f.priority,
                        }
                        for f in s.fields
                    ],
                }
                for s in self.sections
            ]
        }


def _priority(raw: object, where: str, errors: dict[str, list[str | Promise]]) -> int:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return DEFAULT_PRIORITY  # left empty: after everything that was given a priority
    if not text.lstrip("-").isdigit() or not MIN_PRIORITY <= int(text) <= MAX_PRIORITY:
        errors.setdefault(where, []).append(
            _("Priority is a whole number from %(min)d to %(max)d.")
            % {"min": MIN_PRIORITY, "max": MAX_PRIORITY}
        )
        return MAX_PRIORITY
    return int(text)


def _flag(raw: object) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "on", "yes"}
    return bool(raw)


def parse_layout(raw: Mapping[str, Any]) -> Layout:
    """A valid :class:`Layout` from its JSON shape, or ValidationFailed.

    Errors are keyed ``<section>`` or ``<section>.<field>`` (``sections`` for the shape), so a
    form can show each beside its row.
    """
    errors: dict[str, list[str | Promise]] = {}
    items = raw.get("sections") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        raise ValidationFailed(fields={"sections": [_("A card template lists its sections.")]})
    sections: list[SectionRule] = []
    seen: set[str] = set()
    for item in items:
        key = str(item.get("key", "")) if isinstance(item, Mapping) else ""
        if key not in SECTION_BY_KEY:
            errors.setdefault(key or "sections", []).append(
                _("Unknown section “%(key)s”.") % {"key": key}
            )
            continue
        if key in seen:
            errors.setdefault(key, []).append(_("This section is listed twice."))
            continue
        seen.add(key)
        shown = _flag(item.get("shown", True))
        fields = _parse_fields(key, item.get("fields") or [], shown, errors)
        sections.append(
            SectionRule(key, shown, _priority(item.get("priority"), key, errors), fields)
        )
    if errors:
        raise ValidationFailed(fields=errors)
    return Layout(tuple(sections))


def _parse_fields(
    key: str, items: object, section_shown: bool, errors: dict[str, list[str | Promise]]
) -> tuple[FieldRule, ...]:
    if not isinstance(items, list):
        errors.setdefault(key, []).append(_("A section lists its fields."))
        return ()
    rules: list[FieldRule] = []
    seen: set[str] = set()
    for item in items:
        name = str(item.get("name", "")) if isinstance(item, Mapping) else ""
        where = f"{key}.{name}"
        if FIELD_SECTION.get(name) != key:
            errors.setdefault(where, []).append(
                _("Unknown field “%(name)s” in this section.") % {"name": name}
            )
            continue
        if name in seen:
            errors.setdefault(where, []).append(_("This field is listed twice."))
            continue
        seen.add(name)
        assert isinstance(item, Mapping)
        shown, required = _flag(item.get("shown", True)), _flag(item.get("required", False))
        if required and not shown:
            errors.setdefault(where, []).append(_("A required field must be shown."))
        elif required and not section_shown:
            errors.setdefault(where, []).append(
                _("A required field cannot sit in a hidden section.")
            )
        rules.append(
            FieldRule(name, shown, required, _priority(item.get("priority"), where, errors))
        )
    return tuple(rules)


# --- Defaults ---------------------------------------------------------------------------------


def _section(key: str, priority: int, **fields: str) -> SectionRule:
    """``fields``: name → "s" shown, "r" required; catalogue order gives the priority."""
    spec = SECTION_BY_KEY[key]
    order = [f.name for f in spec.fields]
    rules = tuple(
        FieldRule(name, True, mode == "r", (order.index(name) + 1) * 10)
        for name, mode in fields.items()
    )
    return SectionRule(key, True, priority, rules)


PANELS = (
    SectionRule("purchases", True, 60),
    SectionRule("loyalty", True, 70),
    SectionRule("timeline", True, 80),
    SectionRule("notes", True, 90),
)


def default_layouts() -> dict[str, Layout]:
    """The shipped templates for the default ladder (and the card ladder's ranks alike).

    A basic card collects little (who and how to reach them); each step up asks for more, and
    VIP / key accounts ask for business and financial data. ``""`` is the fallback for tier
    codes that have no template of their own.
    """
    basic = Layout(
        (
            _section("basic", 10, phone="r", wechat="s", gender="s", company_name="s"),
            _section("address", 20, city="s"),
            _section("preferences", 30, needs="s"),
            *PANELS,
        )
    )
    standard = Layout(
        (
            _section(
                "basic",
                10,
                phone="r",
                email="s",
                wechat="s",
                gender="s",
                birthday="s",
                occupation="s",
                company_name="s",
                position="s",
                source_channel="s",
            ),
            _section("address", 20, province="s", city="r", district="s", address="s"),
            _section("preferences", 30, needs="r", interests="s", preferences="s"),
            _section("consent", 40, consent_data="r", consent_marketing="s"),
            *PANELS,
        )
    )
    everything = {
        f.name: "s" for f in SECTION_BY_KEY["basic"].fields if f.name not in {"phone", "birthday"}
    }
    premium = Layout(
        (
            _section("basic", 10, **{**everything, "phone": "r", "birthday": "r"}),
            _section(
                "address", 20, province="s", city="r", district="s", address="r", postal_code="s"
            ),
            _section("contacts", 25, contact_person="s", decision_maker="s"),
            _section("business", 30, industry="s", company_size="s", credit_code="s"),
            _section("financial", 35, credit_rating="s", payment_terms="s"),
            _section(
                "preferences", 40, needs="r", interests="s", preferences="r", special_needs="s"
            ),
            _section("consent", 50, consent_data="r", consent_marketing="s", consent_source="s"),
            *PANELS,
        )
    )
    vip = Layout(
        (
            _section("basic", 10, **{**everything, "phone": "r", "birthday": "r", "email": "r"}),
            _section(
                "address", 20, province="r", city="r", district="s", address="r", postal_code="s"
            ),
            _section("contacts", 22, contact_person="r", decision_maker="r"),
            _section(
                "business",
                25,
                industry="r",
                company_size="s",
                credit_code="r",
                business_scope="s",
                main_products="s",
            ),
            _section(
                "financial",
                30,
                credit_rating="r",
                credit_limit="s",
                payment_terms="r",
                payment_capacity="r",
                credit_notes="s",
            ),
            _section(
                "preferences", 40, needs="r", interests="s", preferences="r", special_needs="s"
            ),
            _section("consent", 50, consent_data="r", consent_marketing="s", consent_source="s"),
            *PANELS,
        )
    )
    return {
        "": basic,
        "basic": basic,
        "standard": standard,
        "premium": premium,
        "vip": vip,
        "member": basic,
        "silver": standard,
        "gold": premium,
        "diamond": vip,
    }


# Sections and fields that make no sense for one kind of customer: they are left off that
# customer's card and out of its completeness, whatever the template says.
COMPANY_ONLY_SECTIONS = frozenset({"business", "contacts"})
PERSON_ONLY_FIELDS = frozenset({"gender", "birthday", "occupation", "position"})


def applies(section: str, field: str | None, *, is_company: bool) -> bool:
    if section in COMPANY_ONLY_SECTIONS and not is_company:
        return False
    return not (field in PERSON_ONLY_FIELDS and is_company)
