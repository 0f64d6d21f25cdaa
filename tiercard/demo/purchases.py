"""Demo purchases (1–3 lines each) and interactions of one customer.

The hot loop of the generator: it runs ten million times for the largest demo, so it binds
names locally and formats money and timestamps with plain string operations.
"""

from __future__ import annotations

from bisect import bisect_right

from tiercard.demo.calendar import Calendar
from tiercard.demo.plan import Plan
from tiercard.demo.pools import business, texts
from tiercard.demo.pools.build import Pools, money_text
from tiercard.demo.rand import DemoRandom
from tiercard.demo.records import ChunkRows, Profile, Stats

PAYMENTS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "store": (("wechat_pay", "alipay", "bank_card", "cash"), (45, 75, 90, 100)),
    "online": (("alipay", "wechat_pay", "bank_card"), (50, 95, 100)),
    "wechat": (("wechat_pay",), (100,)),
    "phone": (("transfer", "wechat_pay", "alipay"), (40, 75, 100)),
    "field": (("transfer", "credit", "wechat_pay"), (55, 90, 100)),
    "other": (("cash", "other", "wechat_pay"), (40, 70, 100)),
}
PERSON_KINDS = (("call", "wechat", "sms", "note", "visit"), (35, 70, 85, 95, 100))
COMPANY_KINDS = (("visit", "meeting", "call", "email", "wechat", "note"), (20, 30, 60, 75, 95, 100))
PROMO_DAYS = {(11, 11), (6, 18), (12, 12)}


money = money_text


class MoneyCache(dict[int, str]):
    """Text of amounts in cents; amounts repeat a lot (price × small quantities)."""

    LIMIT = 200_000

    def __missing__(self, cents: int) -> str:
        text = money(cents)
        if len(self) < self.LIMIT:
            self[cents] = text
        return text


def exact_in_floats(subtotal: int, discount: int) -> bool:
    """Whether SQLite's REAL arithmetic agrees with ``total = subtotal - discount``.

    SQLite stores decimals as REAL and the database checks that total equals subtotal less
    discount; a discount that makes that comparison fail in binary floating point is not used.
    """
    return subtotal / 100 - discount / 100 == (subtotal - discount) / 100


class PurchaseMaker:
    def __init__(self, plan: Plan, pools: Pools, calendar: Calendar) -> None:
        self.plan = plan
        self.pools = pools
        self.cal = calendar
        self.promo = {
            i
            for i in range(calendar.days)
            if (int(calendar.date_text[i][5:7]), int(calendar.date_text[i][8:10])) in PROMO_DAYS
        }
        self.templates = {
            kind: [(text, outcome, "{item}" in text) for text, outcome in options]
            for kind, options in texts.INTERACTIONS.items()
        }
        self.service = plan.staff.service
        self.everything = pools.everything.items
        self.money_cache = MoneyCache()

    def orders(self, rng: DemoRandom, p: Profile, n: int, first_id: int, out: ChunkRows) -> Stats:
        stats = Stats()
        if n <= 0:
            return stats
        cal = self.cal
        r = rng.random
        lo = max(p.reg_day, cal.window_start)
        weighted_day = cal.weighted_day
        last_day = cal.days - 1
        days = sorted([weighted_day(r(), lo, last_day) for _ in range(n)])
        purchases, lines = out.purchases, out.lines
        products = p.basket.items
        everything = self.everything
        n_products, n_everything = len(products), len(everything)
        channels = p.channels
        n_other = len(channels) - 1
        home_store = f"{p.city.name}{p.district}店"
        is_company, scale, owner = p.is_company, p.qty_scale, p.owner_id
        cid, reg_instant = p.id, p.reg_instant
        promo, offsets = self.promo, cal.offsets
        utc_dates, hm, ss, suffix = cal.utc_dates, cal.hm, cal.ss, cal.dt_suffix
        online_hours, offline_hours = cal.online_minutes, cal.offline_minutes
        online_top, offline_top = online_hours[-1], offline_hours[-1]
        cache = self.money_cache
        payments = PAYMENTS
        online_stores = business.ONLINE_STORES
        notes = texts.PURCHASE_NOTES
        n_notes = len(notes)
        total_all = orders_online = orders_store = gifts = tea = 0
        first = last = None
        pid = first_id
        for day in days:
            channel = channels[0] if r() < 0.7 else channels[1 + int(r() * n_other)]
            online = channel == "online" or channel == "wechat"
            if online:
                hour = bisect_right(online_hours, r() * online_top)
            else:
                hour = bisect_right(offline_hours, r() * offline_top)
            instant = day * 86400 + hour * 3600 + int(r() * 3600) - offsets[day]
            if instant <= reg_instant:
                instant = reg_instant + 600
            subtotal = 0
            x = r()
            nlines = 1 if x < 0.62 else 2 if x < 0.9 else 3
            has_gift = has_tea = False
            for _ in range(nlines):
                if r() < 0.75:
                    sku, name, price, price_text, gift, is_tea = products[int(r() * n_products)]
                else:
                    sku, name, price, price_text, gift, is_tea = everything[int(r() * n_everything)]
                if is_company:
                    if price < 10000:
                        base = 5 + int(r() * 56)
                    elif price < 50000:
                        base = 2 + int(r() * 19)
                    else:
                        base = 1 + int(r() * 4)
                    qty = int(base * scale) or 1
                    if qty > 2000:
                        qty = 2000
                else:
                    x = r()
                    qty = 1 if x < 0.72 else 2 if x < 0.9 else 3 + int(r() * 4)
                gross = qty * price
                if r() < 0.15:
                    discount = gross * (5 + int(r() * 11)) // 10000 * 100
                    amount = gross - discount
                    discount_text = cache[discount]
                    amount_text = cache[amount]
                else:
                    amount = gross
                    discount_text = "0.00"
                    amount_text = price_text if qty == 1 else cache[gross]
                subtotal += amount
                has_gift = has_gift or gift
                has_tea = has_tea or is_tea
                lines.append((pid, sku, name, qty, price_text, discount_text, amount_text))
            order_discount = 0
            if online and day in promo:
                order_discount = min(subtotal // 30000 * 4000, subtotal // 5)
            elif channel == "store" and subtotal % 100 and r() < 0.1:
                order_discount = subtotal % 100  # 抹零: the cents are waived
            subtotal_text = cache[subtotal]
            if order_discount and exact_in_floats(subtotal, order_discount):
                total = subtotal - order_discount
                total_text = cache[total]
                order_discount_text = cache[order_discount]
            else:
                total, total_text, order_discount_text = subtotal, subtotal_text, "0.00"
            d, rem = divmod(instant + 86400, 86400)
            stamp = utc_dates[d] + " " + hm[rem // 60] + ss[rem % 60] + suffix
            names, cum = payments[channel]
            payment = names[bisect_right(cum, r() * 100)]
            if channel == "store":
                store = home_store
                rep = owner if r() < 0.4 else None
            elif channel == "online":
                store = online_stores[int(r() * 4)]
                rep = None
            else:
                store = "微信小程序商城" if channel == "wechat" else ""
                rep = owner
            purchases.append(
                (
                    pid,
                    cid,
                    stamp,
                    "",
                    channel,
                    store,
                    rep,
                    payment,
                    subtotal_text,
                    order_discount_text,
                    total_text,
                    notes[int(r() * n_notes)],
                    stamp,
                    None,
                )
            )
            pid += 1
            total_all += total
            orders_online += online
            orders_store += channel == "store"
            gifts += has_gift
            tea += has_tea
            if first is None or instant < first:
                first = instant
            if last is None or instant > last:
                last = instant
        stats.orders, stats.total_cents, stats.first, stats.last = n, total_all, first, last
        stats.online, stats.store, stats.gifts, stats.tea = orders_online, orders_store, gifts, tea
        return stats

    def interactions(
        self, rng: DemoRandom, p: Profile, stats: Stats, contacts: list[int], out: ChunkRows
    ) -> None:
        cal = self.cal
        mean = (2.5 if p.is_company else 0.7) * (1 + min(stats.orders, 40) / 20)
        count = min(int(rng.expovariate(1 / mean)), 15)
        kinds, cum = COMPANY_KINDS if p.is_company else PERSON_KINDS
        rows = out.interactions
        span = cal.days - p.reg_day
        for _ in range(count):
            day = p.reg_day + int(rng.random() * span)
            instant = max(
                cal.instant(day, 9 * 3600 + int(rng.random() * 11 * 3600)), p.reg_instant + 300
            )
            kind = kinds[bisect_right(cum, rng.random() * 100)]
            summary, outcome, has_item = rng.choice(self.templates[kind])
            if has_item:
                summary = summary.format(item=rng.choice(p.basket.products).name)
            actor = p.owner_id
            if actor is None or (outcome == "negative" and rng.random() < 0.5):
                actor = rng.choice(self.service) if self.service else p.owner_id
            contact = rng.choice(contacts) if contacts and rng.random() < 0.7 else None
            if rng.random() < 0.25:
                step = rng.choice(texts.NEXT_STEPS)
                due = cal.date_text[day + rng.randint(3, 14)]
            else:
                step, due = "", None
            stamp = cal.text(instant)
            rows.append((p.id, kind, stamp, actor, contact, summary, outcome, step, due, stamp))
            if stats.last_interaction is None or instant > stats.last_interaction:
                stats.last_interaction = instant
            stats.complained = stats.complained or outcome == "negative"
