"""Contact data and codes in the demo are valid by the same rules the services apply."""

from __future__ import annotations

from tiercard.core import contacts
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.demo import customers as demo_customers
from tiercard.demo.load import LoadReport
from tiercard.demo.pools import business, people, places, texts


def test_contact_points_are_stored_normalised(demo: LoadReport) -> None:
    kinds = set()
    for point in ContactPoint.objects.all():
        kinds.add(point.kind)
        if point.kind in {"mobile", "phone"}:
            assert contacts.normalize_phone(point.value) == point.normalized
            assert contacts.national_digits(point.normalized) == point.value
            assert contacts.is_mobile(point.normalized) == (point.kind == "mobile")
        elif point.kind == "email":
            assert contacts.normalize_email(point.value) == point.normalized
        elif point.kind == "wechat":
            assert contacts.normalize_wechat(point.value) == point.normalized
    assert kinds == {"mobile", "phone", "email", "wechat"}


def test_primary_phone_and_email_summarise_the_contact_points(demo: LoadReport) -> None:
    for customer in Customer.objects.prefetch_related("contact_points"):
        points = sorted(customer.contact_points.all(), key=lambda p: (not p.is_primary, p.id))
        mobiles = [p.normalized for p in points if p.kind == "mobile"]
        phones = [p.normalized for p in points if p.kind == "phone"]
        emails = [p.normalized for p in points if p.kind == "email"]
        assert customer.primary_phone == (mobiles or phones or [""])[0]
        assert customer.primary_phone.startswith("+86") or not customer.primary_phone
        assert customer.phone_tail == customer.primary_phone[-4:]
        assert customer.primary_email == (emails or [""])[0]


def test_credit_codes_are_valid_and_unique(demo: LoadReport) -> None:
    codes = list(Customer.objects.filter(kind="company").values_list("credit_code", flat=True))
    assert len(codes) > 20
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert contacts.normalize_credit_code(code) == code
    assert not Customer.objects.filter(kind="person").exclude(credit_code="").exists()


def test_organisation_code_check_character() -> None:
    # 1·3 + 2·7 + 3·9 + 4·10 + 5·5 + 6·8 + 7·4 + 8·2 = 201; 11 − 201 mod 11 = 8
    assert demo_customers.organisation_code("12345678") == "123456788"
    assert demo_customers.credit_code("310100", 12345678)[:17] == "91310100123456788"


def test_contact_persons_have_mobiles(demo: LoadReport) -> None:
    for person in Contact.objects.all():
        assert contacts.CN_MOBILE.match(person.mobile)
        if person.phone:
            assert contacts.normalize_phone(person.phone)
        if person.email:
            assert contacts.normalize_email(person.email) == person.email


def test_pool_texts_are_safe_for_copy() -> None:
    """COPY's text format would need escaping for tabs, newlines and backslashes."""
    texts_ = [
        *(t for options in texts.INTERACTIONS.values() for t, _ in options),
        *texts.NEXT_STEPS,
        *texts.CUSTOMER_NOTES,
        *texts.CREDIT_NOTES,
        *texts.NEEDS,
        *texts.PURCHASE_NOTES,
        *(p.name for p in business.CATALOGUE),
        *(i.scope + i.products + i.english for i in business.INDUSTRIES),
        *people.OCCUPATIONS,
        *people.POSITIONS,
        *people.PREFERENCES,
        *places.ROADS,
    ]
    for text in texts_:
        assert not set(text) & {"\t", "\n", "\r", "\\"}, text
