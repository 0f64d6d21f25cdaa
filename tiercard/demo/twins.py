"""A few deliberate duplicates in the demo book, so the duplicates queue has work to show.

Real books hold the same customer twice: typed again by another colleague with the phone
written differently, or a company entered once with and once without its legal form and city.
``plant_twins`` adds such cards through the customer service (audited like any card) for a
deterministic handful of existing customers, then runs the duplicate scan. Safe to re-run: a
customer whose twin exists (same name, created by the demo's twin maker) gets no second one.
"""

from __future__ import annotations

from tiercard.accounts.models import Role, User
from tiercard.core.contacts import national_digits
from tiercard.customers.models import Customer, CustomerKind
from tiercard.customers.services import customer_create
from tiercard.dedupe.scan import dedupe_scan

TWIN_EVERY = 250  # one twin per 250 customers: 8 pairs in the 2,000-customer demo
MAX_TWINS = 40


def _spaced(phone: str) -> str:
    """The same mobile as people type it: 138 0013 8000."""
    digits = national_digits(phone)
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}" if len(digits) == 11 else digits


def _company_variant(name: str, city: str) -> str:
    """The company as another colleague writes it: with its city in front, without the legal
    form behind (北京 + 华兴科技, for 华兴科技有限公司)."""
    core = name.removesuffix("有限公司").removesuffix("股份").removesuffix("有限责任公司")
    return f"{city}{core}" if city and not core.startswith(city) else core


def plant_twins(actor: User | None = None) -> int:
    """Add near-duplicate cards for every ``TWIN_EVERY``-th customer with a phone; returns how
    many were added. Runs the duplicate scan afterwards."""
    actor = actor or User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if actor is None:
        return 0
    total = Customer.objects.count()
    if total < TWIN_EVERY:
        return 0  # a small book (tests, a first look) stays exactly as loaded
    originals = list(
        Customer.objects.exclude(primary_phone="")
        .filter(merged_into__isnull=True)
        .order_by("pk")[:total:TWIN_EVERY][:MAX_TWINS]
    )
    added = 0
    for c in originals:
        company = c.kind == CustomerKind.COMPANY
        name = _company_variant(c.company_name or c.name, c.city) if company else c.name
        if Customer.objects.filter(name=name, created_by=actor).exclude(pk=c.pk).exists():
            continue
        data = {
            "kind": c.kind,
            "name": name,
            "city": c.city,
            "phones": _spaced(c.primary_phone),
            "owner_id": c.owner_id,
        }
        if company:
            data["company_name"] = name
        customer_create(actor=actor, data=data)
        added += 1
    dedupe_scan(actor=actor)
    return added
