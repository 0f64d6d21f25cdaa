"""Company names, industries and the product catalogue of the demo business.

The demo business is a regional trading company with stores, an online shop and field sales:
it sells tea, liquor, gift boxes, appliances, electronics and office supplies to households
and to companies (holiday gifts, office purchasing, service contracts).
"""

from __future__ import annotations

from typing import NamedTuple

# Characters that make up the two-character trade names (字号) of companies.
BRAND_CHARS = (
    "恒远华瑞鑫源盛达腾飞嘉禾信诚博越汇通中科创新德宏泰隆金海天宇"
    "联合安美佳顺卓智正和兴荣昌鼎锦辉丰凯鹏宝云峰祥福"
)


class Industry(NamedTuple):
    word: str  # the industry words inside a company name
    sector: str  # GB/T 4754 sector shown as Customer.industry
    english: str
    scope: str
    products: str
    categories: tuple[str, ...]  # catalogue categories this kind of company buys


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "电子科技",
        "制造业",
        "Electronic Technology",
        "电子产品研发、生产与销售",
        "电子元器件、智能终端",
        ("office", "gift", "digital"),
    ),
    Industry(
        "信息技术",
        "信息传输、软件和信息技术服务业",
        "Information Technology",
        "软件开发、信息系统集成服务",
        "企业软件、IT 运维服务",
        ("digital", "office", "gift"),
    ),
    Industry(
        "网络科技",
        "信息传输、软件和信息技术服务业",
        "Network Technology",
        "互联网信息服务、网络技术开发",
        "电商平台、SaaS 服务",
        ("digital", "office", "tea"),
    ),
    Industry(
        "机械设备",
        "制造业",
        "Machinery",
        "通用机械设备制造与销售",
        "数控机床、工业配件",
        ("office", "gift", "liquor"),
    ),
    Industry(
        "建材",
        "批发和零售业",
        "Building Materials",
        "建筑材料批发与零售",
        "瓷砖、板材、五金",
        ("liquor", "gift", "tea"),
    ),
    Industry(
        "商贸",
        "批发和零售业",
        "Trading",
        "日用百货、预包装食品批发",
        "日用百货、食品",
        ("gift", "tea", "liquor"),
    ),
    Industry("食品", "制造业", "Foods", "食品生产与销售", "糕点、休闲食品", ("gift", "office")),
    Industry(
        "餐饮管理",
        "住宿和餐饮业",
        "Catering Management",
        "餐饮服务、餐饮企业管理",
        "连锁餐厅、团餐",
        ("liquor", "tea", "appliance"),
    ),
    Industry(
        "物流",
        "交通运输、仓储和邮政业",
        "Logistics",
        "普通货运、仓储服务、供应链管理",
        "城配、仓储",
        ("office", "gift"),
    ),
    Industry(
        "医药",
        "批发和零售业",
        "Pharmaceutical",
        "药品、医疗器械批发",
        "药品、医疗器械",
        ("gift", "tea", "office"),
    ),
    Industry(
        "服饰", "制造业", "Apparel", "服装设计、生产与销售", "男女装、工装", ("gift", "office")
    ),
    Industry(
        "家居",
        "批发和零售业",
        "Home Furnishing",
        "家具、家居用品销售",
        "定制家具、软装",
        ("appliance", "gift"),
    ),
    Industry(
        "化工",
        "制造业",
        "Chemical",
        "化工原料及产品销售（不含危险化学品）",
        "涂料、助剂",
        ("liquor", "gift", "office"),
    ),
    Industry(
        "汽车服务",
        "租赁和商务服务业",
        "Auto Services",
        "汽车销售、维修与保养",
        "整车销售、售后服务",
        ("gift", "tea", "office"),
    ),
    Industry(
        "文化传媒",
        "文化、体育和娱乐业",
        "Culture & Media",
        "广告设计、制作、代理、发布",
        "品牌策划、活动执行",
        ("digital", "tea", "gift"),
    ),
    Industry(
        "教育咨询",
        "教育",
        "Education Consulting",
        "教育咨询服务（不含培训）",
        "升学规划、职业培训",
        ("office", "digital", "gift"),
    ),
    Industry(
        "建筑工程",
        "建筑业",
        "Construction Engineering",
        "房屋建筑工程、市政工程施工",
        "工程总包",
        ("liquor", "tea", "gift"),
    ),
    Industry(
        "环保科技",
        "科学研究和技术服务业",
        "Environmental Technology",
        "环保技术开发、污水处理设备销售",
        "水处理设备",
        ("office", "gift"),
    ),
    Industry(
        "农业开发",
        "农、林、牧、渔业",
        "Agricultural Development",
        "农产品种植与销售",
        "果蔬、茶园",
        ("gift", "appliance"),
    ),
    Industry(
        "酒店管理",
        "住宿和餐饮业",
        "Hotel Management",
        "酒店管理、住宿服务",
        "商务酒店",
        ("appliance", "liquor", "tea"),
    ),
    Industry("电气", "制造业", "Electric", "电气设备制造", "配电柜、开关", ("office", "liquor")),
    Industry(
        "新材料", "制造业", "New Materials", "新材料技术研发、销售", "复合材料", ("office", "gift")
    ),
    Industry(
        "房地产开发",
        "房地产业",
        "Real Estate Development",
        "房地产开发经营",
        "住宅、商业地产",
        ("liquor", "tea", "gift"),
    ),
    Industry(
        "投资管理",
        "金融业",
        "Investment Management",
        "投资管理、资产管理",
        "股权投资",
        ("liquor", "tea", "gift"),
    ),
    Industry(
        "印务", "制造业", "Printing", "包装装潢印刷品印刷", "包装盒、画册", ("office", "gift")
    ),
    Industry(
        "生物科技",
        "科学研究和技术服务业",
        "Biotechnology",
        "生物技术研发、技术服务",
        "检测试剂",
        ("office", "digital", "gift"),
    ),
)

COMPANY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("有限公司", "Co., Ltd."),
    ("股份有限公司", "Co., Ltd."),
    ("有限责任公司", "Co., Ltd."),
    ("集团有限公司", "Group Co., Ltd."),
)


class Product(NamedTuple):
    sku: str
    name: str
    price_cents: int
    category: str


def _p(sku: str, name: str, price: str, category: str) -> Product:
    yuan, _, cents = price.partition(".")
    return Product(sku, name, int(yuan) * 100 + int((cents + "00")[:2]), category)


CATALOGUE: tuple[Product, ...] = (
    _p("TEA-LJ-250", "明前西湖龙井 250g 礼盒", "688", "tea"),
    _p("TEA-LJ-100", "西湖龙井 100g 罐装", "268", "tea"),
    _p("TEA-TGY-500", "安溪铁观音 500g", "398", "tea"),
    _p("TEA-PE-357", "云南普洱熟茶饼 357g", "458", "tea"),
    _p("TEA-DHP-250", "武夷山大红袍 250g", "528", "tea"),
    _p("TEA-BLC-200", "洞庭碧螺春 200g", "356", "tea"),
    _p("TEA-BC-300", "福鼎白茶饼 300g", "299", "tea"),
    _p("TEA-JJM-150", "金骏眉红茶 150g", "428", "tea"),
    _p("TEA-SET-01", "汝窑功夫茶具套装", "899", "tea"),
    _p("TEA-HC-12", "花草茶组合 12 袋", "69.9", "tea"),
    _p("LIQ-JX-53", "53度酱香型白酒 500ml", "1499", "liquor"),
    _p("LIQ-NX-52", "52度浓香型白酒 500ml", "1099", "liquor"),
    _p("LIQ-QX-42", "42度清香型白酒 500ml", "268", "liquor"),
    _p("LIQ-HJ-10", "十年陈绍兴花雕 500ml", "168", "liquor"),
    _p("LIQ-RW-BDX", "法国波尔多干红 750ml", "298", "liquor"),
    _p("LIQ-RW-NX", "宁夏贺兰山赤霞珠 750ml", "198", "liquor"),
    _p("LIQ-BOX-6", "白酒整箱 6 瓶装", "5980", "liquor"),
    _p("LIQ-BEER-24", "精酿啤酒 24 罐", "239", "liquor"),
    _p("GIFT-MK-08", "广式月饼礼盒 8 枚", "198", "gift"),
    _p("GIFT-MK-HI", "流心奶黄月饼礼盒", "328", "gift"),
    _p("GIFT-NUT-01", "每日坚果礼盒 30 包", "139", "gift"),
    _p("GIFT-NH-01", "年货大礼包", "399", "gift"),
    _p("GIFT-ZZ-01", "端午粽子礼盒", "168", "gift"),
    _p("GIFT-CRAB", "阳澄湖大闸蟹礼券 8 只", "888", "gift"),
    _p("GIFT-FRUIT", "进口水果礼篮", "268", "gift"),
    _p("GIFT-TEA-BOX", "商务茶礼套装", "1280", "gift"),
    _p("GIFT-CARD-500", "购物卡 500 元", "500", "gift"),
    _p("GIFT-CARD-1000", "购物卡 1000 元", "1000", "gift"),
    _p("APP-RICE-4L", "IH 电饭煲 4L", "599", "appliance"),
    _p("APP-AIR-01", "空气净化器", "1999", "appliance"),
    _p("APP-ROBOT-01", "扫地机器人", "2699", "appliance"),
    _p("APP-BLEND-01", "破壁料理机", "899", "appliance"),
    _p("APP-KETTLE", "恒温电热水壶", "199", "appliance"),
    _p("APP-COFFEE", "全自动咖啡机", "3299", "appliance"),
    _p("APP-WATER", "净水器（含安装）", "2499", "appliance"),
    _p("APP-FAN-01", "直流变频落地扇", "459", "appliance"),
    _p("DIG-EAR-01", "降噪蓝牙耳机", "899", "digital"),
    _p("DIG-WATCH-01", "智能手表", "1299", "digital"),
    _p("DIG-PAD-01", "平板电脑 11 英寸", "3199", "digital"),
    _p("DIG-PB-20K", "充电宝 20000mAh", "149", "digital"),
    _p("DIG-SPK-01", "智能音箱", "299", "digital"),
    _p("DIG-CAM-01", "家用监控摄像头", "239", "digital"),
    _p("DIG-LAP-14", "轻薄笔记本电脑 14 英寸", "5499", "digital"),
    _p("DIG-MON-27", "27 英寸显示器", "1399", "digital"),
    _p("OFF-A4-5", "A4 复印纸 70g（5 包/箱）", "129", "office"),
    _p("OFF-PEN-12", "中性笔 12 支装", "18.5", "office"),
    _p("OFF-FILE-10", "文件夹 10 个装", "35", "office"),
    _p("OFF-CAB-01", "钢制文件柜", "860", "office"),
    _p("OFF-CHAIR-01", "人体工学办公椅", "1280", "office"),
    _p("OFF-PRN-01", "黑白激光打印机", "1699", "office"),
    _p("OFF-TONER", "打印机硒鼓", "320", "office"),
    _p("OFF-WATER", "桶装饮用水 18.9L", "22", "office"),
    _p("OFF-TISSUE", "抽纸 24 包/箱", "79.9", "office"),
    _p("OFF-BOARD", "移动白板", "560", "office"),
    _p("CARE-SKIN-01", "护肤礼盒套装", "680", "care"),
    _p("CARE-TB-01", "声波电动牙刷", "299", "care"),
    _p("CARE-MASK", "补水面膜 10 片", "99", "care"),
    _p("CARE-MASS-01", "颈椎按摩仪", "459", "care"),
    _p("SRV-MAINT-Y", "年度设备维保服务", "3600", "service"),
    _p("SRV-INSTALL", "上门安装服务", "150", "service"),
    _p("SRV-VIP-Y", "会员年费", "299", "service"),
    _p("SRV-CLEAN", "家电深度清洗", "260", "service"),
)

# What households buy, by taste; companies use Industry.categories.
PERSON_CATEGORIES: tuple[str, ...] = ("tea", "liquor", "gift", "appliance", "digital", "care")

TAGS: tuple[tuple[str, str], ...] = (
    ("老客户", "#2563eb"),
    ("高潜力", "#16a34a"),
    ("价格敏感", "#f59e0b"),
    ("节日送礼", "#dc2626"),
    ("企业采购", "#7c3aed"),
    ("团购", "#0891b2"),
    ("需回访", "#ea580c"),
    ("线上活跃", "#0ea5e9"),
    ("门店常客", "#65a30d"),
    ("投诉过", "#b91c1c"),
    ("茶友", "#15803d"),
    ("推荐人", "#db2777"),
    ("新客", "#64748b"),
    ("大客户", "#9333ea"),
)

ONLINE_STORES: tuple[str, ...] = ("天猫旗舰店", "京东自营", "微信小程序商城", "抖音小店")
