"""Demo customer cards: who they are, where, whose, how to reach them, and their totals."""

from __future__ import annotations

from bisect import bisect_right
from functools import cache
from operator import itemgetter

from lunardate import LunarDate

from tiercard.core.contacts import credit_code_with_check_digit, national_digits
from tiercard.customers.search_index import char_text, search_words
from tiercard.demo.calendar import Calendar
from tiercard.demo.names import ascii_key
from tiercard.demo.plan import Plan
from tiercard.demo.pools import business, people, places, texts
from tiercard.demo.pools.build import Pools
from tiercard.demo.rand import DemoRandom
from tiercard.demo.records import ChunkRows, Profile, Row, Stats
from tiercard.demo.tables import CUSTOMER_COLUMNS

COMPANY_SHARE = 0.18
PROSPECT_SHARE = 0.12  # registered, never bought
PERSON_CHANNELS = ("store", "online", "wechat", "phone", "other")
PERSON_CHANNEL_CUM = (45, 80, 93, 97, 100)
COMPANY_CHANNELS = ("field", "phone", "wechat", "online", "store")
COMPANY_CHANNEL_CUM = (50, 75, 85, 95, 100)
SIZES = ("micro", "small", "medium", "large", "enterprise")
SIZE_CUM = (20, 55, 80, 92, 100)
SIZE_QTY = {"micro": 0.5, "small": 1.0, "medium": 2.0, "large": 4.0, "enterprise": 8.0}
SIZE_LIMIT = {"micro": 20000, "small": 50000, "medium": 200000, "large": 500000}
PERSON_SOURCES = ("walk_in", "wechat", "referral", "ecommerce", "website", "event", "phone")
PERSON_SOURCE_CUM = (30, 50, 65, 80, 88, 93, 100)
COMPANY_SOURCES = ("sales", "referral", "event", "website", "phone", "import")
COMPANY_SOURCE_CUM = (35, 60, 75, 85, 95, 100)
PERSON_MAIL = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "icloud.com")
PERSON_MAIL_CUM = (38, 62, 72, 78, 86, 100)
ENGLISH_NAMES = {
    "male": ("David", "Kevin", "Michael", "Jason", "Eric", "Tony", "Frank", "Peter", "Leo"),
    "female": ("Lisa", "Amy", "Grace", "Cathy", "Vivian", "Helen", "Sophie", "Emily", "Linda"),
}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check
_ROW = itemgetter(*CUSTOMER_COLUMNS)


def pick(rng: DemoRandom, items: tuple[str, ...], cum: tuple[int, ...]) -> str:
    return items[bisect_right(cum, rng.random() * cum[-1])]


def organisation_code(body: str) -> str:
    """An 8-digit organisation code body plus its GB 11714 check character."""
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(division: str, number: int) -> str:
    """A unified social credit code for a company (登记机关 9, 企业 1)."""
    return credit_code_with_check_digit("91" + division + organisation_code(f"{number:08d}"))


def mobile(rng: DemoRandom) -> str:
    return "+86" + rng.choice(places.MOBILE_PREFIXES) + f"{rng.below(10**8):08d}"


def landline(rng: DemoRandom, city: places.City) -> str:
    return "+86" + city.area_code[1:] + str(rng.randint(20000000, 89999999))


class CustomerMaker:
    def __init__(self, plan: Plan, pools: Pools, calendar: Calendar) -> None:
        self.plan = plan
        self.pools = pools
        self.cal = calendar
        self.reps = plan.staff.reps
        self.managers = plan.staff.managers
        self.user_team = plan.staff.user_team
        self.tag_ids = plan.tag_ids
        # Companies get distinct (brand, industry) pairs by a permutation of the ordinal.
        self.name_space = len(pools.brands) * len(business.INDUSTRIES)
        self.name_offset = (plan.seed * 7919) % self.name_space

    # --- who -------------------------------------------------------------------------------
    def profile(self, rng: DemoRandom, ordinal: int) -> Profile:
        pools, cal = self.pools, self.cal
        city = pools.cities[bisect_right(pools.city_cum, rng.random() * pools.city_cum[-1])]
        team = city.team
        r = rng.random()
        if r < 0.02:
            owner_id, team_id = None, None
        else:
            reps = self.reps.get(team)
            owner_id = self.managers[team] if r < 0.07 or not reps else rng.choice(reps)
            team_id = self.user_team.get(owner_id)
        if rng.random() < 0.35:
            reg_day = int(rng.random() * cal.window_start)
        else:
            span = cal.days - cal.window_start
            reg_day = min(cal.window_start + int(span * rng.random() ** 0.6), cal.days - 1)
        reg_instant = cal.instant(reg_day, 9 * 3600 + int(rng.random() * 9 * 3600))
        first_buy_day = max(reg_day, cal.window_start)
        span_share = (cal.days - first_buy_day) / (cal.days - cal.window_start)
        activity = 0.0 if rng.random() < PROSPECT_SHARE else min(rng.paretovariate(1.3), 50.0)
        is_company = rng.random() < COMPANY_SHARE
        common = (ordinal, self.plan.customer_id_base + ordinal, is_company)
        if is_company:
            industry_index, brand_index = divmod(
                (ordinal * 7919 + self.name_offset) % self.name_space, len(pools.brands)
            )
            industry = business.INDUSTRIES[industry_index]
            brand = pools.brands[brand_index]
            suffix = rng.choice(business.COMPANY_SUFFIXES)[0] if rng.random() < 0.3 else "有限公司"
            shi = "市" if rng.random() < 0.25 and city.name != city.province else ""
            name = city.name + shi + brand.text + industry.word + suffix
            size = pick(rng, SIZES, SIZE_CUM)
            channels = (pick(rng, COMPANY_CHANNELS, COMPANY_CHANNEL_CUM), *COMPANY_CHANNELS)
            return Profile(
                *common,
                name=name,
                roman=pools.romaniser.organisation(name),
                gender="",
                city=city,
                district=rng.choice(city.districts),
                owner_id=owner_id,
                team_id=team_id,
                team=team,
                reg_day=reg_day,
                reg_instant=reg_instant,
                activity=activity * 2.5 * span_share,
                channels=channels,
                basket=pools.basket(industry.categories),
                qty_scale=SIZE_QTY[size] * rng.lognormvariate(0, 0.4),
                industry=industry,
                size=size,
                email_domain=f"{brand.pinyin}{ascii_key(industry.english)[:6]}.com",
                brand_pinyin=brand.pinyin,
            )
        gender = "male" if rng.random() < 0.5 else "female"
        surname = pools.surnames[
            bisect_right(pools.surname_cum, rng.random() * pools.surname_cum[-1])
        ]
        given = rng.choice(pools.given[gender])
        categories = {rng.choice(business.PERSON_CATEGORIES) for _ in range(2)}
        return Profile(
            *common,
            name=surname.text + given.text,
            roman=pools.romaniser.person(surname, given),
            gender=gender,
            city=city,
            district=rng.choice(city.districts),
            owner_id=owner_id,
            team_id=team_id,
            team=team,
            reg_day=reg_day,
            reg_instant=reg_instant,
            activity=activity * span_share,
            channels=(pick(rng, PERSON_CHANNELS, PERSON_CHANNEL_CUM), *PERSON_CHANNELS),
            basket=pools.basket(tuple(sorted(categories))),
            qty_scale=rng.lognormvariate(0, 0.3),
            surname_pinyin="".join(surname.reading),
        )

    # --- contact persons at companies ------------------------------------------------------
    def contacts(self, rng: DemoRandom, p: Profile, rows: list[Row]) -> list[int]:
        if not p.is_company:
            return []
        ids = []
        created = self.cal.text(p.reg_instant)
        for j in range(1 + int(rng.random() * 2.6)):
            gender = "male" if rng.random() < 0.55 else "female"
            surname = self.pools.surnames[
                bisect_right(self.pools.surname_cum, rng.random() * self.pools.surname_cum[-1])
            ]
            given = rng.choice(self.pools.given[gender])
            cid = self.plan.contact_id(p.ordinal, j)
            ids.append(cid)
            local = "".join(given.syllables) + "." + "".join(surname.reading)
            rows.append(
                (
                    cid,
                    p.id,
                    surname.text + given.text,
                    people.POSITIONS[0 if j == 0 else 1 + rng.below(len(people.POSITIONS) - 1)],
                    "" if j == 0 else rng.choice(people.DEPARTMENTS),
                    mobile(rng)[3:],
                    ("0" + landline(rng, p.city)[3:]) if rng.random() < 0.5 else "",
                    f"{local}@{p.email_domain}" if rng.random() < 0.7 else "",
                    "",
                    1 if j == 0 else int(rng.random() < 0.2),
                    1 if j == 0 else 0,
                    "",
                    created,
                )
            )
        return ids

    # --- the card itself ---------------------------------------------------------------------
    def finish(self, rng: DemoRandom, p: Profile, s: Stats, out: ChunkRows) -> None:
        """Write contact points, tags and the customer row (with its aggregates)."""
        cal = self.cal
        created = cal.text(p.reg_instant)
        points = out.contact_points
        phones: list[str] = []
        if rng.random() < (0.72 if p.is_company else 0.97):
            phones.append(mobile(rng))
            if rng.random() < 0.04:
                second = mobile(rng)
                if second != phones[0]:
                    phones.append(second)
        for i, phone in enumerate(phones):
            points.append((p.id, "mobile", phone[3:], phone, "", int(i == 0), 0, created))
        if rng.random() < (0.85 if p.is_company else 0.05):
            land = landline(rng, p.city)
            points.append((p.id, "phone", national_digits(land), land, "", 1, 0, created))
            phones.append(land)
        email = self._email(rng, p)
        if email:
            points.append((p.id, "email", email, email, "", 1, 0, created))
        if not p.is_company and rng.random() < 0.45:
            wechat = self._wechat(rng, p)
            points.append((p.id, "wechat", wechat, wechat, "", 1, 0, created))
        primary = phones[0] if phones else ""
        external_id = f"KH{p.ordinal + 1:07d}" if p.is_company else ""
        name_en = self._name_en(rng, p)
        words = [p.roman.pinyin, p.roman.initials, *p.roman.variants]
        if name_en:
            words.append(ascii_key(name_en))
        if primary:
            words.append(national_digits(primary))
        if email:
            words.append(email)
        if external_id:
            words.append(external_id)
        row = self._base_row(rng, p, s, created)
        row.update(
            name_en=name_en,
            search_text=search_words(words),
            name_chars=char_text(p.name),
            external_id=external_id,
            primary_phone=primary,
            phone_tail=primary[-4:],
            primary_email=email,
        )
        out.customers.append(_ROW(row))
        links = out.customer_tags
        for tag in self._tags(rng, p, s):
            tag_id = self.tag_ids.get(tag)
            if tag_id is not None:
                links.append((p.id, tag_id))

    def _base_row(self, rng: DemoRandom, p: Profile, s: Stats, created: str) -> dict[str, object]:
        cal = self.cal
        city = p.city
        road = rng.choice(places.ROADS)
        if p.is_company:
            address = (
                f"{road}{rng.randint(1, 999)}号{rng.choice(places.BUILDINGS)}{rng.randint(2, 30)}楼"
            )
        else:
            address = (
                f"{road}{rng.randint(1, 500)}号{rng.choice(places.ESTATES)}"
                f"{rng.randint(1, 30)}栋{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
            )
        consent = rng.random() < 0.9
        marketing = consent and rng.random() < 0.65
        latest = max(x for x in (p.reg_instant, s.last, s.last_interaction) if x is not None)
        row: dict[str, object] = dict(_EMPTY_ROW)
        row.update(
            id=p.id,
            kind="company" if p.is_company else "person",
            name=p.name,
            name_pinyin=p.roman.pinyin[:200],
            name_initials=p.roman.initials[:40],
            province=city.province,
            city=city.name,
            district=p.district,
            address=address,
            postal_code=city.postal_code[:4] + f"{rng.below(100):02d}",
            source_channel=pick(rng, COMPANY_SOURCES, COMPANY_SOURCE_CUM)
            if p.is_company
            else pick(rng, PERSON_SOURCES, PERSON_SOURCE_CUM),
            registered_on=cal.date_text[p.reg_day],
            owner_id=p.owner_id,
            team_id=p.team_id,
            status=self._status(rng, p, s),
            consent_data=int(consent),
            consent_data_at=created if consent else None,
            consent_marketing=int(marketing),
            consent_marketing_at=created if marketing else None,
            consent_source=rng.choice(("纸质登记表", "微信小程序授权", "门店平板签署", "合同条款"))
            if consent
            else "",
            order_count=s.orders,
            total_spend=f"{s.total_cents // 100}.{s.total_cents % 100:02d}",
            first_purchase_at=cal.text(s.first) if s.first is not None else None,
            last_purchase_at=cal.text(s.last) if s.last is not None else None,
            last_interaction_at=cal.text(s.last_interaction)
            if s.last_interaction is not None
            else None,
            notes=rng.choice(texts.CUSTOMER_NOTES),
            created_at=created,
            updated_at=cal.text(latest),
        )
        if p.is_company:
            self._company_fields(rng, p, row)
        else:
            self._person_fields(rng, p, row)
        return row

    def _company_fields(self, rng: DemoRandom, p: Profile, row: dict[str, object]) -> None:
        industry = p.industry
        assert industry is not None
        rating = pick(rng, ("AAA", "AA", "A", "B", "C", ""), (10, 35, 70, 90, 95, 100))
        limit = SIZE_LIMIT.get(p.size, 2000000)
        row.update(
            industry=industry.sector,
            company_size=p.size,
            business_scope=industry.scope,
            main_products=industry.products,
            credit_code=credit_code(
                p.city.division_code, (p.ordinal * 48271 + self.plan.seed * 7) % 10**8
            ),
            credit_rating=rating,
            credit_limit=f"{limit * rng.choice((1, 1, 2, 3)) // (2 if rating in 'BC' else 1)}.00",
            payment_terms=rng.choice(("prepaid", "on_delivery", "net30", "net60", "monthly")),
            payment_capacity="high" if rating in ("AAA", "AA") else "medium" if rating else "",
            credit_notes=rng.choice(texts.CREDIT_NOTES),
            needs=rng.choice(texts.NEEDS),
        )

    def _person_fields(self, rng: DemoRandom, p: Profile, row: dict[str, object]) -> None:
        cal = self.cal
        row["gender"] = p.gender
        if rng.random() < 0.65:
            year = cal.as_of.year - rng.randint(22, 70)
            if rng.random() < 0.08:
                month, day = rng.randint(1, 12), rng.randint(1, 29)
                row.update(
                    birthday=LunarDate(year, month, day).to_solar_date().isoformat(),
                    birthday_calendar="lunar",
                    lunar_birth_month=month,
                    lunar_birth_day=day,
                )
            else:
                ordinal = rng.below(365)
                row["birthday"] = _year_days(year)[ordinal]
        if rng.random() < 0.6:
            row["occupation"] = rng.choice(people.OCCUPATIONS)
        if rng.random() < 0.4:
            picked = {rng.choice(people.INTERESTS) for _ in range(rng.randint(1, 3))}
            row["interests"] = "、".join(sorted(picked))
        if rng.random() < 0.25:
            row["preferences"] = rng.choice(people.PREFERENCES)

    def _email(self, rng: DemoRandom, p: Profile) -> str:
        if p.is_company:
            if rng.random() >= 0.8:
                return ""
            return (
                rng.choice(("info", "sales", "purchase", "admin", "service"))
                + "@"
                + (p.email_domain)
            )
        if rng.random() >= 0.35:
            return ""
        domain = pick(rng, PERSON_MAIL, PERSON_MAIL_CUM)
        if domain == "qq.com" and rng.random() < 0.7:
            return f"{rng.randint(10000, 3999999999)}@qq.com"
        local = p.roman.pinyin or "user"
        if rng.random() < 0.6:
            local += str(
                rng.choice((rng.randint(60, 99), rng.randint(1, 999), 2000 + p.ordinal % 9))
            )
        return f"{local}@{domain}"

    def _wechat(self, rng: DemoRandom, p: Profile) -> str:
        if rng.random() < 0.5:
            return "wxid_" + "".join(rng.choices("abcdefghijkmnpqrstuvwxyz0123456789", k=10))
        base = (p.roman.pinyin or "wx")[:12]
        if not base[0].isalpha():
            base = "wx" + base
        return f"{base}_{rng.randint(100, 9999)}"

    def _name_en(self, rng: DemoRandom, p: Profile) -> str:
        if p.is_company:
            if rng.random() >= 0.15 or p.industry is None:
                return ""
            city = self.pools.city_pinyin[p.city.name].capitalize()
            return f"{city} {p.brand_pinyin.capitalize()} {p.industry.english} Co., Ltd."
        if rng.random() >= 0.04:
            return ""
        return f"{rng.choice(ENGLISH_NAMES[p.gender])} {p.surname_pinyin.capitalize()}"

    def _status(self, rng: DemoRandom, p: Profile, s: Stats) -> str:
        if rng.random() < 0.01:
            return "archived"
        now = self.cal.days * 86400
        if s.last is None:
            return "active" if now - p.reg_instant < 365 * 86400 else "at_risk"
        idle = (now - s.last) // 86400
        return "churned" if idle > 365 else "at_risk" if idle > 180 else "active"

    def _tags(self, rng: DemoRandom, p: Profile, s: Stats) -> list[str]:
        tags = []
        now = self.cal.days * 86400
        if now - p.reg_instant < 90 * 86400:
            tags.append("新客")
        if s.total_cents >= (50_000_000 if p.is_company else 5_000_000):
            tags.append("大客户")
        if s.orders >= 5 and s.first is not None and now - s.first > 730 * 86400:
            tags.append("老客户")
        if p.is_company and s.orders:
            tags.append("企业采购")
        if s.orders >= 3 and s.online * 10 >= s.orders * 6:
            tags.append("线上活跃")
        if s.orders >= 5 and s.store * 10 >= s.orders * 6:
            tags.append("门店常客")
        if s.gifts >= 2:
            tags.append("节日送礼")
        if s.tea >= 3:
            tags.append("茶友")
        if s.complained:
            tags.append("投诉过")
        for tag, share in (
            ("高潜力", 0.05),
            ("价格敏感", 0.08),
            ("需回访", 0.05),
            ("推荐人", 0.03),
        ):
            if rng.random() < share:
                tags.append(tag)
        if p.is_company and rng.random() < 0.1:
            tags.append("团购")
        return tags


@cache
def _year_days(year: int) -> tuple[str, ...]:
    """The dates of a year as text, for cheap random birthdays."""
    return tuple(
        f"{year:04d}-{month:02d}-{day:02d}"
        for month, length in enumerate(_month_lengths(year), start=1)
        for day in range(1, length + 1)
    )


def _month_lengths(year: int) -> tuple[int, ...]:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


_EMPTY_ROW: dict[str, object] = {
    **dict.fromkeys(CUSTOMER_COLUMNS, ""),
    "birthday": None,
    "birthday_calendar": "solar",
    "lunar_birth_month": None,
    "lunar_birth_day": None,
    "lunar_birth_leap": 0,
    "credit_limit": None,
    "owner_id": None,
    "team_id": None,
    "consent_data_at": None,
    "consent_marketing_at": None,
    "merged_into_id": None,
    "version": 1,
    "created_by_id": None,
}
