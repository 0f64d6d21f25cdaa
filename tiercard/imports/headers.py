"""The field catalogue of each import kind and the automatic header mapping.

Each :class:`FieldSpec` names one thing a sheet can hold, the data key the owning service takes
(``customer_create`` / ``customer_update`` keys for customers; purchase, line and
``interaction_log`` keys for the others, plus a few import-only fields such as the order
number, the opening points or the tier), the header texts offices really write, in Chinese and
English, and how a cell is read (``parse``: a name the row reader understands).

Header matching folds width and case, drops spaces, punctuation and bracketed remarks
(``手机号（必填）`` → ``手机号``), then looks for an exact alias, then for a header that contains
exactly one field's alias. Each field takes at most one column (the first that matches).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.core.text import fold_width
from tiercard.imports.models import ImportKind, ImportMode, MatchKey


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    required: bool
    aliases: tuple[str, ...]
    parse: str = "text"
    """How a cell is read: text, date, datetime, amount, int, quantity, phone, email,
    credit_code, choice, tier, owner, list (``tiercard.imports.rows``)."""
    help: str | Promise = ""


# Fields that identify the customer a purchase or an interaction belongs to.
_LINK = (
    FieldSpec(
        "phone",
        _("Phone"),
        False,
        (
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话",
            "电话号码",
            "联系方式",
            "会员手机",
            "mobile",
            "phone",
            "telephone",
            "tel",
            "cellphone",
        ),
        "phone",
    ),
    FieldSpec(
        "external_id",
        _("External id / member number"),
        False,
        (
            "外部编号",
            "会员号",
            "会员编号",
            "卡号",
            "会员卡号",
            "客户编号",
            "客户编码",
            "externalid",
            "memberno",
            "membernumber",
            "memberid",
            "cardno",
            "customerid",
        ),
    ),
    FieldSpec(
        "name",
        _("Customer name"),
        False,
        (
            "姓名",
            "客户名称",
            "客户姓名",
            "客户",
            "会员姓名",
            "会员名称",
            "名称",
            "name",
            "customer",
            "customername",
            "fullname",
        ),
    ),
    FieldSpec(
        "company_name",
        _("Company"),
        False,
        ("公司", "单位", "公司名称", "工作单位", "单位名称", "企业名称", "company", "companyname"),
    ),
)

CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "name",
        _("Name"),
        True,
        (
            "姓名",
            "客户名称",
            "客户姓名",
            "会员姓名",
            "会员名称",
            "名称",
            "客户",
            "name",
            "customername",
            "fullname",
            "customer",
        ),
        help=_("Required for new customers."),
    ),
    FieldSpec("kind", _("Type (person / company)"), False, ("客户类型", "类型", "type"), "choice"),
    FieldSpec("phones", _("Phone"), False, _LINK[0].aliases, "phone"),
    FieldSpec(
        "emails",
        _("Email"),
        False,
        ("邮箱", "电子邮箱", "邮件", "email", "e-mail", "mail"),
        "email",
    ),
    FieldSpec("wechat", _("WeChat"), False, ("微信", "微信号", "wechat", "weixin")),
    FieldSpec("qq", "QQ", False, ("qq", "qq号")),
    FieldSpec(
        "registered_on",
        _("Registration date"),
        False,
        (
            "注册时间",
            "注册日期",
            "入会日期",
            "入会时间",
            "开卡日期",
            "开卡时间",
            "建档日期",
            "registered",
            "registrationdate",
            "registeredon",
            "joindate",
            "joined",
            "since",
        ),
        "date",
    ),
    FieldSpec(
        "spend_total",
        _("Total spend (for reference)"),
        False,
        ("消费金额", "累计消费", "累计消费金额", "消费总额", "总消费", "累计金额", "totalspend"),
        "amount",
        help=_("Read for reference only: import purchases to carry spend over."),
    ),
    FieldSpec(
        "points",
        _("Points (opening balance)"),
        False,
        ("积分", "当前积分", "可用积分", "剩余积分", "积分余额", "points", "pointsbalance"),
        "int",
        help=_("Credited once as the opening balance of a new customer (managers only)."),
    ),
    FieldSpec(
        "tier",
        _("Tier"),
        False,
        ("等级", "会员等级", "客户等级", "级别", "会员级别", "客户级别", "tier", "level", "grade"),
        "tier",
        help=_("A tier above the one the purchases earn is kept as a manual override."),
    ),
    FieldSpec(
        "company_name",
        _("Company"),
        False,
        ("公司", "单位", "公司名称", "工作单位", "单位名称", "企业名称", "company", "companyname"),
    ),
    FieldSpec(
        "credit_code",
        _("Unified social credit code"),
        False,
        ("统一社会信用代码", "社会信用代码", "信用代码", "税号", "creditcode", "uscc"),
        "credit_code",
    ),
    FieldSpec(
        "province", _("Province / region"), False, ("省份", "省", "地区", "province", "region")
    ),
    FieldSpec("city", _("City"), False, ("城市", "市", "所在城市", "city")),
    FieldSpec("district", _("District"), False, ("区县", "区", "县区", "district")),
    FieldSpec(
        "address", _("Address"), False, ("地址", "详细地址", "联系地址", "通讯地址", "address")
    ),
    FieldSpec("postal_code", _("Postal code"), False, ("邮编", "邮政编码", "postalcode", "zip")),
    FieldSpec(
        "birthday",
        _("Birthday"),
        False,
        ("生日", "出生日期", "出生年月日", "birthday", "dateofbirth", "dob"),
        "date",
    ),
    FieldSpec("gender", _("Gender"), False, ("性别", "gender", "sex"), "choice"),
    FieldSpec("tags", _("Tags"), False, ("标签", "客户标签", "tags", "tag"), "list"),
    FieldSpec(
        "notes",
        _("Notes"),
        False,
        ("备注", "说明", "备注信息", "notes", "note", "remark", "remarks"),
    ),
    FieldSpec(
        "owner",
        _("Account manager"),
        False,
        (
            "客户经理",
            "负责人",
            "专属客户经理",
            "归属销售",
            "销售",
            "业务员",
            "跟进人",
            "accountmanager",
            "owner",
            "salesrep",
        ),
        "owner",
        help=_("A user name or display name; only managers may name someone else."),
    ),
    FieldSpec(
        "external_id",
        _("External id / member number"),
        False,
        _LINK[1].aliases,
    ),
    FieldSpec("name_en", _("English name"), False, ("英文名", "英文名称", "englishname")),
    FieldSpec("occupation", _("Occupation"), False, ("职业", "occupation")),
    FieldSpec("position", _("Position"), False, ("职位", "职务", "position", "title", "jobtitle")),
    FieldSpec("industry", _("Industry"), False, ("行业", "所属行业", "industry")),
    FieldSpec(
        "source_channel", _("Source"), False, ("来源", "客户来源", "来源渠道", "source"), "choice"
    ),
    # A contact person (联系人) of the card: added to it once (``apply_customers``).
    FieldSpec(
        "contact_name",
        _("Contact person"),
        False,
        ("联系人", "联系人姓名", "联系人名称", "对接人", "contactperson", "contactname"),
        help=_("Added to the card as a contact person, once (re-running the file adds none)."),
    ),
    FieldSpec(
        "contact_title",
        _("Contact person: position"),
        False,
        (
            "联系人职务",
            "联系人职位",
            "联系人岗位",
            "联系人头衔",
            "contacttitle",
            "contactposition",
        ),
    ),
    FieldSpec(
        "contact_department",
        _("Contact person: department"),
        False,
        ("联系人部门", "联系人所在部门", "contactdepartment"),
    ),
    FieldSpec(
        "contact_mobile",
        _("Contact person: mobile"),
        False,
        (
            "联系人手机",
            "联系人手机号",
            "联系人手机号码",
            "联系人电话",
            "联系人联系电话",
            "联系人联系方式",
            "contactmobile",
            "contactphone",
        ),
    ),
    FieldSpec(
        "contact_phone",
        _("Contact person: landline"),
        False,
        ("联系人座机", "联系人固话", "联系人办公电话", "contactlandline"),
    ),
    FieldSpec(
        "contact_email",
        _("Contact person: email"),
        False,
        ("联系人邮箱", "联系人电子邮箱", "联系人email", "contactemail"),
    ),
    FieldSpec(
        "contact_wechat", _("Contact person: WeChat"), False, ("联系人微信", "contactwechat")
    ),
)

CONTACT_FIELDS = {
    "contact_name": "name",
    "contact_title": "title",
    "contact_department": "department",
    "contact_mobile": "mobile",
    "contact_phone": "phone",
    "contact_email": "email",
    "contact_wechat": "wechat",
}
"""Import field → the key ``customers.contact_persons.contact_add`` takes."""


def names_a_company(header: str) -> bool:
    """Whether a column header is one of the company field's (企业名称, 公司名称, company ...)."""
    spec = next(f for f in CUSTOMER_FIELDS if f.name == "company_name")
    return normalise_header(header) in {normalise_header(a) for a in spec.aliases}


PURCHASE_FIELDS: tuple[FieldSpec, ...] = (
    *_LINK,
    FieldSpec(
        "order_no",
        _("Order number"),
        False,
        (
            "订单号",
            "单号",
            "订单编号",
            "流水号",
            "小票号",
            "单据号",
            "交易号",
            "orderno",
            "ordernumber",
            "orderid",
            "order",
            "receiptno",
            "reference",
        ),
        help=_("Rows with the same order number become one purchase with several items."),
    ),
    FieldSpec(
        "occurred_at",
        _("Purchase time"),
        True,
        (
            "下单时间",
            "消费日期",
            "消费时间",
            "购买日期",
            "购买时间",
            "交易时间",
            "交易日期",
            "订单日期",
            "订单时间",
            "日期",
            "时间",
            "orderdate",
            "date",
            "time",
            "purchasedat",
        ),
        "datetime",
    ),
    FieldSpec(
        "amount",
        _("Amount"),
        True,
        (
            "金额",
            "实付金额",
            "实收金额",
            "订单金额",
            "消费金额",
            "应收金额",
            "成交金额",
            "amount",
            "total",
            "paid",
            "linetotal",
        ),
        "amount",
    ),
    FieldSpec(
        "item_name",
        _("Item"),
        False,
        ("商品", "品名", "商品名称", "产品", "产品名称", "项目", "item", "product", "itemname"),
    ),
    FieldSpec("sku", _("SKU"), False, ("商品编码", "货号", "商品编号", "条码", "sku", "itemcode")),
    FieldSpec("quantity", _("Quantity"), False, ("数量", "件数", "qty", "quantity"), "quantity"),
    FieldSpec(
        "unit_price", _("Unit price"), False, ("单价", "价格", "price", "unitprice"), "amount"
    ),
    FieldSpec(
        "discount", _("Discount"), False, ("优惠", "折扣金额", "优惠金额", "discount"), "amount"
    ),
    FieldSpec("store", _("Store"), False, ("门店", "店铺", "门店名称", "store", "shop")),
    FieldSpec("channel", _("Channel"), False, ("渠道", "销售渠道", "channel"), "choice"),
    FieldSpec(
        "payment_method",
        _("Payment method"),
        False,
        ("支付方式", "付款方式", "payment", "paymentmethod"),
        "choice",
    ),
    FieldSpec("note", _("Note"), False, ("备注", "说明", "note", "notes", "remark")),
)

INTERACTION_FIELDS: tuple[FieldSpec, ...] = (
    *_LINK,
    FieldSpec(
        "occurred_at",
        _("Time"),
        True,
        (
            "时间",
            "日期",
            "沟通时间",
            "拜访时间",
            "联系时间",
            "跟进时间",
            "记录时间",
            "date",
            "time",
            "occurredat",
        ),
        "datetime",
    ),
    FieldSpec(
        "kind",
        _("Type"),
        True,
        ("方式", "沟通方式", "联系方式类型", "类型", "跟进方式", "kind", "type", "channel"),
        "choice",
    ),
    FieldSpec(
        "summary",
        _("Content"),
        True,
        ("内容", "沟通内容", "跟进内容", "记录", "摘要", "summary", "content", "notes"),
    ),
    FieldSpec("outcome", _("Outcome"), False, ("结果", "沟通结果", "outcome", "result"), "choice"),
    FieldSpec("next_step", _("Next step"), False, ("下一步", "下一步计划", "后续计划", "nextstep")),
    FieldSpec(
        "next_step_due",
        _("Next step due"),
        False,
        ("下次跟进日期", "跟进日期", "下次跟进", "截止日期", "due", "nextstepdue"),
        "date",
    ),
)

CATALOGUE: dict[str, tuple[FieldSpec, ...]] = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.PURCHASES: PURCHASE_FIELDS,
    ImportKind.INTERACTIONS: INTERACTION_FIELDS,
}

CUSTOMER_KEY_FIELD = {
    MatchKey.PHONE: "phones",
    MatchKey.EMAIL: "emails",
    MatchKey.EXTERNAL_ID: "external_id",
    MatchKey.CREDIT_CODE: "credit_code",
}
"""The field holding each match key of a customer import."""

LINK_KEY_FIELDS = {
    MatchKey.PHONE: ("phone",),
    MatchKey.EXTERNAL_ID: ("external_id",),
    MatchKey.NAME_COMPANY: ("name", "company_name"),
}
"""The fields that link a purchase or interaction row to its customer, per key."""


def fields_for(kind: str) -> tuple[FieldSpec, ...]:
    """The catalogue of ``kind``; ``ValueError`` for an unknown kind."""
    try:
        return CATALOGUE[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}") from None


def field_spec(kind: str, name: str) -> FieldSpec | None:
    return next((f for f in fields_for(kind) if f.name == name), None)


_BRACKETS = re.compile(r"[(（\[【<《][^)）\]】>》]*[)）\]】>》]")
_NOISE = re.compile(r"[\s*＊:：_\-—./·,，、#]+")


def normalise_header(text: str) -> str:
    """The form headers are compared in: ``"手机号（必填）"`` → ``"手机号"``, ``"E-Mail"`` →
    ``"email"``. Blank when nothing is left."""
    folded = fold_width(str(text or "")).lower().strip()
    without = _BRACKETS.sub("", folded)
    return _NOISE.sub("", without or folded)


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in fields_for(kind):
        index.setdefault(normalise_header(spec.name), spec.name)
        for alias in spec.aliases:
            index.setdefault(normalise_header(alias), spec.name)
    return index


def guess_mapping(kind: str, headers: Sequence[str]) -> dict[int, str]:
    """Column index → field name for the headers this catalogue recognises."""
    index = _alias_index(kind)
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    normalised = [normalise_header(h) for h in headers]
    for i, text in enumerate(normalised):  # exact aliases first, in column order
        name = index.get(text)
        if text and name and name not in taken:
            mapping[i] = name
            taken.add(name)
    for i, text in enumerate(normalised):  # then headers that contain one field's alias
        if i in mapping or len(text) < 2:
            continue
        hits = {name for alias, name in index.items() if len(alias) >= 2 and alias in text}
        hits -= taken
        if len(hits) == 1:
            name = hits.pop()
            mapping[i] = name
            taken.add(name)
    if kind == ImportKind.CUSTOMERS:
        _company_sheet(mapping, headers)
    return dict(sorted(mapping.items()))


def _company_sheet(mapping: dict[int, str], headers: Sequence[str]) -> None:
    """A sheet of companies and their contact persons (企业名称, 联系人姓名, 手机) has no name
    column: its company column is the card's name (the applier makes such cards companies)."""
    fields = set(mapping.values())
    if "name" in fields or not fields & set(CONTACT_FIELDS):
        return
    for index, name in mapping.items():
        if name == "company_name":
            mapping[index] = "name"
            return


def mapping_from_profile(headers: Sequence[str], saved: Mapping[str, str]) -> dict[int, str]:
    """A profile's mapping (by normalised header) applied to this file's headers."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for i, header in enumerate(headers):
        name = saved.get(normalise_header(header))
        if name and name not in taken:
            mapping[i] = name
            taken.add(name)
    return mapping


def required_fields(kind: str, *, mode: str = ImportMode.UPSERT, match_key: str = "") -> list[str]:
    """The fields a mapping must include for this kind, mode and key."""
    needed: list[str] = []
    if kind == ImportKind.CUSTOMERS:
        if mode != ImportMode.UPDATE:
            needed.append("name")
        key_field = CUSTOMER_KEY_FIELD.get(match_key, "")  # type: ignore[call-overload]
        if key_field and key_field not in needed:
            needed.append(key_field)
        return needed
    link = LINK_KEY_FIELDS.get(match_key, ())  # type: ignore[call-overload]
    return [*link, *(f.name for f in fields_for(kind) if f.required)]


def missing_required(
    kind: str, mapping: Mapping[int, str], *, mode: str = ImportMode.UPSERT, match_key: str = ""
) -> list[str]:
    """Required fields (see ``required_fields``) that no column is mapped to."""
    mapped = set(mapping.values())
    return [
        name for name in required_fields(kind, mode=mode, match_key=match_key) if name not in mapped
    ]
