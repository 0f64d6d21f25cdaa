"""The customer card (客户管理卡) and what hangs off it: contact points, contact persons, tags.

Invariants kept by the database, not only by forms:
- a non-blank external id and a non-blank unified social credit code are unique;
- money is never negative; status, kind and choice fields hold only known values;
- every contact point belongs to one customer and is stored normalised beside the raw input.
Denormalised columns (``primary_phone``, ``name_pinyin``, the search columns, purchase totals)
are written only by services, in the same transaction as the change they summarise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import Team
from tiercard.core.timeutils import age_on, business_today


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")
    ARCHIVED = "archived", _("Archived")


class Gender(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class BirthdayCalendar(models.TextChoices):
    SOLAR = "solar", _("Solar (Gregorian)")
    LUNAR = "lunar", _("Lunar")


class CompanySize(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    MICRO = "micro", _("1–9 employees")
    SMALL = "small", _("10–49 employees")
    MEDIUM = "medium", _("50–249 employees")
    LARGE = "large", _("250–999 employees")
    ENTERPRISE = "enterprise", _("1000+ employees")


class CreditRating(models.TextChoices):
    UNRATED = "", _("Unrated")
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class PaymentTerms(models.TextChoices):
    NONE = "", _("Not set")
    PREPAID = "prepaid", _("Prepaid")
    ON_DELIVERY = "on_delivery", _("Cash on delivery")
    NET30 = "net30", _("Net 30 days")
    NET60 = "net60", _("Net 60 days")
    NET90 = "net90", _("Net 90 days")
    MONTHLY = "monthly", _("Monthly statement")


class PaymentCapacity(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class SourceChannel(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    WALK_IN = "walk_in", _("Walk-in / store")
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website")
    WECHAT = "wechat", _("WeChat")
    EVENT = "event", _("Event / exhibition")
    PHONE = "phone", _("Phone")
    ECOMMERCE = "ecommerce", _("E-commerce platform")
    SALES = "sales", _("Sales prospecting")
    IMPORT = "import", _("Imported")
    OTHER = "other", _("Other")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    kind = models.CharField(
        _("type"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    name_initials = models.CharField(max_length=40, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    # One token per Chinese character (张 三 丰), for the substring search (see search_index).
    name_chars = models.TextField(blank=True, default="", editable=False)
    company_chars = models.TextField(blank=True, default="", editable=False)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)

    # Personal
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, blank=True, default=Gender.UNKNOWN
    )
    birthday = models.DateField(_("birthday (solar)"), null=True, blank=True)
    birthday_calendar = models.CharField(
        _("birthday calendar"),
        max_length=8,
        choices=BirthdayCalendar.choices,
        default=BirthdayCalendar.SOLAR,
    )
    lunar_birth_month = models.PositiveSmallIntegerField(_("lunar month"), null=True, blank=True)
    lunar_birth_day = models.PositiveSmallIntegerField(_("lunar day"), null=True, blank=True)
    lunar_birth_leap = models.BooleanField(_("leap month"), default=False)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    company_name = models.CharField(_("company"), max_length=120, blank=True)
    position = models.CharField(_("position"), max_length=60, blank=True)

    # Contact summary (the contact points are the source of truth)
    primary_phone = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    phone_tail = models.CharField(max_length=4, blank=True, editable=False)
    primary_email = models.CharField(_("email"), max_length=254, blank=True, editable=False)

    # Address
    province = models.CharField(_("province / region"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)

    # Business information (企业客户)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    company_size = models.CharField(
        _("company size"), max_length=12, choices=CompanySize.choices, blank=True, default=""
    )
    business_scope = models.TextField(_("business scope"), max_length=2000, blank=True)
    main_products = models.TextField(_("main products"), max_length=2000, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)

    # Financial information
    credit_rating = models.CharField(
        _("credit rating"), max_length=4, choices=CreditRating.choices, blank=True, default=""
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    payment_terms = models.CharField(
        _("payment terms"), max_length=12, choices=PaymentTerms.choices, blank=True, default=""
    )
    payment_capacity = models.CharField(
        _("payment capacity"), max_length=8, choices=PaymentCapacity.choices, blank=True, default=""
    )
    credit_notes = models.TextField(_("credit record"), max_length=2000, blank=True)

    # Profile
    needs = models.TextField(_("needs"), max_length=2000, blank=True)
    interests = models.TextField(_("interests"), max_length=1000, blank=True)
    preferences = models.TextField(_("preferences"), max_length=1000, blank=True)
    special_needs = models.TextField(_("special needs"), max_length=1000, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    # Relationship
    source_channel = models.CharField(
        _("source channel"), max_length=12, choices=SourceChannel.choices, blank=True, default=""
    )
    registered_on = models.DateField(_("registration date"), default=business_today)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        db_index=False,  # customer_owner_status leads with owner
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        db_index=False,  # customer_team_status leads with team
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )

    # Consent (PIPL): what the customer agreed to, and when.
    consent_data = models.BooleanField(_("consents to data processing"), default=False)
    consent_data_at = models.DateTimeField(null=True, blank=True)
    consent_marketing = models.BooleanField(_("consents to marketing"), default=False)
    consent_marketing_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(_("consent obtained via"), max_length=60, blank=True)

    # Purchase aggregates, kept current by sales.services on every purchase.
    order_count = models.PositiveIntegerField(_("orders"), default=0, editable=False)
    total_spend = models.DecimalField(
        _("total spend"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    first_purchase_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_purchase_at = models.DateTimeField(
        _("last purchase"), null=True, blank=True, editable=False
    )
    last_interaction_at = models.DateTimeField(
        _("last contact"), null=True, blank=True, editable=False
    )

    # The customer's tier, for the member table's tier filter and its (tier, sort) indexes: a
    # copy of the loyalty membership's tier that database triggers keep (loyalty migration
    # 0008), "" for the lowest tier of the active ladder and for a card without a membership
    # row yet. Django never writes it (see ``save``); read the tier from the membership.
    tier = models.CharField(max_length=32, blank=True, default="", editable=False)

    # Set when this card was merged into another; the survivor holds the history.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    # Set when the customer's personal data was anonymised on request (privacy.erasure):
    # the card stays for the purchases, ledger and figures, with placeholders for the person.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="customer_external_id_unique",
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="customer_credit_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CustomerKind.values), name="customer_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CustomerStatus.values), name="customer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="customer_credit_limit_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_spend__gte=0), name="customer_total_spend_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(lunar_birth_month__isnull=True)
                | Q(lunar_birth_month__gte=1, lunar_birth_month__lte=12),
                name="customer_lunar_month_range",
            ),
            models.CheckConstraint(
                condition=Q(lunar_birth_day__isnull=True)
                | Q(lunar_birth_day__gte=1, lunar_birth_day__lte=30),
                name="customer_lunar_day_range",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="customer_name_not_blank"),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="customer_owner_status"),
            models.Index(fields=["team", "status"], name="customer_team_status"),
            models.Index(fields=["name_pinyin"], name="customer_pinyin"),
            models.Index(fields=["name_initials"], name="customer_initials"),
            models.Index(fields=["phone_tail"], name="customer_phone_tail"),
            models.Index(fields=["primary_phone"], name="customer_phone"),
            # City, tier, status: the member table counts a city's non-archived customers, and
            # those of one tier in a city, from the index alone (a city of 27,000 at 1M
            # customers: 42 -> 10 ms; with a tier 10 -> under 1 ms, no row read).
            models.Index(fields=["city", "tier", "status"], name="customer_city_tier_status"),
            models.Index(fields=["-registered_on", "-id"], name="customer_registered"),
            models.Index(fields=["-last_purchase_at", "-id"], name="customer_last_purchase"),
            models.Index(fields=["-total_spend", "-id"], name="customer_total_spend"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save without writing ``tier``, which only the database's triggers write: a card read
        before a purchase upgraded it must not put the old tier back when it is saved."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = _SAVED_BY_DJANGO
        super().save(*args, **kwargs)

    @property
    def is_company(self) -> bool:
        return self.kind == CustomerKind.COMPANY

    @property
    def age(self) -> int | None:
        """Whole years today (business time zone); None when the birth year is unknown."""
        if self.birthday is None:
            return None
        return age_on(self.birthday, business_today())

    @property
    def is_minor_under_14(self) -> bool:
        """PIPL treats personal data of children under 14 as sensitive."""
        age = self.age
        return age is not None and age < 14


class ContactPointKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    PHONE = "phone", _("Landline")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    QQ = "qq", _("QQ")


class ContactPoint(models.Model):
    """A phone, email or messenger id of a customer, raw and normalised."""

    # contact_point_unique_per_customer leads with customer: no index of its own
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contact_points", db_index=False
    )
    kind = models.CharField(_("type"), max_length=8, choices=ContactPointKind.choices)
    value = models.CharField(_("value"), max_length=254)
    normalized = models.CharField(max_length=254)
    label = models.CharField(_("label"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    opted_out = models.BooleanField(_("opted out"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "normalized"], name="contact_point_unique_per_customer"
            ),
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(is_primary=True),
                name="contact_point_one_primary_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ContactPointKind.values), name="contact_point_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind", "normalized"], name="contact_point_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Contact(models.Model):
    """A contact person (联系人) at a company customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("role / title"), max_length=60, blank=True)
    department = models.CharField(_("department"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    phone = models.CharField(_("landline"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=40, blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["-is_primary", "-is_decision_maker", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.name


_SAVED_BY_DJANGO = tuple(
    f.name for f in Customer._meta.concrete_fields if not f.primary_key and f.name != "tier"
)
