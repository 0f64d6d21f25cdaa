"""Card templates: layouts are validated, ordered by priority, applied to a customer with a
completeness score and a to-do list, and saved by administrators only, audited."""

from __future__ import annotations

import pytest

from tiercard.audit.models import AuditEvent
from tiercard.cards.layout import SECTIONS, default_layouts, parse_layout
from tiercard.cards.models import CardTemplate
from tiercard.cards.templates import card_template_save, card_view, evaluate, layout_for
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.selectors import customer_get


def _layout(*sections: dict) -> dict:
    return {"sections": list(sections)}


def _basic(*fields: dict, shown: bool = True, priority: int = 10) -> dict:
    return {"key": "basic", "shown": shown, "priority": priority, "fields": list(fields)}


def _field(name: str, shown: bool = True, required: bool = False, priority: int = 10) -> dict:
    return {"name": name, "shown": shown, "required": required, "priority": priority}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (_layout({"key": "nonsense", "priority": 1}), "nonsense"),
        (_layout(_basic(_field("shoe_size"))), "basic.shoe_size"),
        (_layout(_basic(_field("credit_code"))), "basic.credit_code"),  # not its section
        (_layout(_basic(_field("phone", shown=False, required=True))), "basic.phone"),
        (_layout(_basic(_field("phone", required=True), shown=False)), "basic.phone"),
        (_layout(_basic(_field("phone", priority=0))), "basic.phone"),
        (_layout(_basic(_field("phone"), _field("phone"))), "basic.phone"),
        (_layout(_basic(), _basic()), "basic"),
        (_layout(_basic(priority="x")), "basic"),  # type: ignore[arg-type]
    ],
)
def test_invalid_layouts_are_refused_naming_the_row(raw: dict, key: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_layout(raw)
    assert key in caught.value.fields


def test_a_layout_without_sections_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_layout({"fields": []})
    assert list(caught.value.fields) == ["sections"]


def test_the_shipped_layouts_are_valid_and_ask_more_of_higher_tiers() -> None:
    layouts = default_layouts()
    for code, layout in layouts.items():
        assert parse_layout(layout.to_json()) == layout, code
    required = {
        code: {f.name for s in layout.sections for f in s.fields if f.required}
        for code, layout in layouts.items()
    }
    assert required["basic"] == {"phone"}
    assert required["basic"] < required["standard"] < required["premium"] < required["vip"]
    assert {"credit_code", "credit_rating", "payment_terms", "payment_capacity"} <= required["vip"]


def test_sections_and_fields_follow_priority_then_the_catalogue() -> None:
    layout = parse_layout(
        _layout(
            {"key": "address", "priority": 5, "fields": [_field("city", priority=2)]},
            _basic(_field("gender", priority=1), _field("phone", priority=1), priority=7),
        )
    )
    ordered = [spec.key for spec, rule in layout.ordered_sections() if rule.shown]
    assert ordered == ["address", "basic"]
    # equal priority: catalogue order (phone comes before gender in the catalogue)
    assert [f.name for f, _rule in layout.shown_fields("basic")] == ["phone", "gender"]


@pytest.mark.django_db
def test_completeness_counts_the_templates_fields_and_lists_missing_required(users, book) -> None:
    customer = customer_get(viewer=users["admin"], customer_id=book["east1"].pk)  # has a phone
    layout = parse_layout(
        _layout(
            _basic(_field("phone", required=True), _field("gender"), _field("birthday")),
            {"key": "address", "priority": 20, "fields": [_field("city", required=True)]},
            {"key": "notes", "priority": 90},
        )
    )
    view = evaluate(customer, layout, "basic")
    assert (view.filled, view.total, view.percent) == (1, 4, 25)
    assert [f.name for f in view.todo] == ["city"]
    assert [f.name for f in view.missing] == ["city", "gender", "birthday"]  # required first
    assert view.panels == frozenset({"notes"})
    assert [s.key for s in view.sections] == ["basic", "address"]


@pytest.mark.django_db
def test_company_sections_apply_to_companies_only(users, make_customer) -> None:
    layout = default_layouts()["vip"]
    person = customer_get(viewer=users["admin"], customer_id=make_customer(name="张三").pk)
    assert "business" not in {s.key for s in evaluate(person, layout).sections}
    company = make_customer(name="某某科技", kind="company", industry="制造业")
    contact_add(
        actor=users["rep_east1"],
        customer_id=company.pk,
        data={"name": "周婷", "is_decision_maker": True},
    )
    loaded = customer_get(viewer=users["admin"], customer_id=company.pk)
    view = evaluate(loaded, layout)
    keys = {s.key for s in view.sections}
    assert {"business", "financial", "contacts"} <= keys
    todo = {f.name for f in view.todo}
    assert "industry" not in todo and "contact_person" not in todo
    assert "decision_maker" not in todo and "gender" not in todo
    assert {"credit_code", "credit_rating", "payment_terms"} <= todo


@pytest.mark.django_db
def test_filled_fields_outside_the_template_are_kept_as_extra(users, make_customer) -> None:
    customer = make_customer(name="刘备", credit_limit="50000", interests="书法")
    loaded = customer_get(viewer=users["admin"], customer_id=customer.pk)
    view = evaluate(loaded, default_layouts()["basic"])
    assert {"credit_limit", "interests"} <= {f.name for f in view.extra}


@pytest.mark.django_db
def test_card_view_checks_fields_without_a_query_per_field(
    users, book, django_assert_num_queries
) -> None:
    customer = customer_get(viewer=users["admin"], customer_id=book["east1"].pk)
    with django_assert_num_queries(1):  # the template row; fields come from loaded data
        view = card_view(customer=customer, tier_code="vip")
    assert view.total > 10


@pytest.mark.django_db
def test_the_migration_seeds_the_default_ladders_templates() -> None:
    codes = set(CardTemplate.objects.values_list("tier_code", flat=True))
    assert {"", "basic", "standard", "premium", "vip"} <= codes
    assert layout_for("vip") == default_layouts()["vip"]
    assert layout_for("no-such-tier") == default_layouts()[""]


@pytest.mark.django_db
def test_admin_saves_a_template_audited_and_versioned(users) -> None:
    raw = _layout(_basic(_field("phone", required=True), _field("email", required=True)))
    row = card_template_save(actor=users["admin"], tier_code="basic", layout=raw)
    assert row.version == 2
    assert [f.name for f in layout_for("basic").section("basic").fields] == ["phone", "email"]
    event = AuditEvent.objects.get(object_type="cards.cardtemplate")
    assert event.actor == users["admin"] and event.changes["layout"][1] == raw
    with pytest.raises(Conflict):
        card_template_save(actor=users["admin"], tier_code="basic", layout=raw, expected_version=1)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["mgr_east", "rep_east1", "service"])
def test_only_administrators_save_templates(users, username) -> None:
    before = list(CardTemplate.objects.values_list("tier_code", "layout", "version"))
    with pytest.raises(PermissionDenied):
        card_template_save(actor=users[username], tier_code="basic", layout=_layout(_basic()))
    assert list(CardTemplate.objects.values_list("tier_code", "layout", "version")) == before
    assert not AuditEvent.objects.filter(object_type="cards.cardtemplate").exists()


@pytest.mark.django_db
def test_an_invalid_template_writes_nothing(users) -> None:
    before = list(CardTemplate.objects.values_list("tier_code", "layout", "version"))
    bad = _layout(_basic(_field("phone", shown=False, required=True)))
    with pytest.raises(ValidationFailed):
        card_template_save(actor=users["admin"], tier_code="basic", layout=bad)
    assert list(CardTemplate.objects.values_list("tier_code", "layout", "version")) == before
    assert not AuditEvent.objects.filter(object_type="cards.cardtemplate").exists()


def test_every_catalogue_section_has_a_unique_key() -> None:
    keys = [s.key for s in SECTIONS]
    assert len(keys) == len(set(keys))
