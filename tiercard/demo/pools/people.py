"""Chinese personal names and the words around a person: surnames, given names, jobs.

Surname frequencies come from Faker's ``zh_CN`` person provider (read once, as data). The
polyphonic surnames that :mod:`tiercard.core.text` reads specially, and the common compound
surnames, are added with small weights so that the demo exercises them.
"""

from __future__ import annotations

from faker.providers.person.zh_CN import Provider as _FakerNames

# Surnames read differently from their common reading (单 shan, 曾 zeng, 解 xie …) and
# compound surnames (欧阳, 司马 …), with a weight in the same unit as Faker's (percent).
EXTRA_SURNAMES: dict[str, float] = {
    "单": 0.05,
    "曾": 0.6,
    "区": 0.02,
    "仇": 0.02,
    "解": 0.03,
    "查": 0.03,
    "朴": 0.02,
    "乐": 0.02,
    "盖": 0.02,
    "缪": 0.02,
    "覃": 0.05,
    "翟": 0.05,
    "燕": 0.02,
    "华": 0.05,
    "纪": 0.05,
    "盛": 0.05,
    "尉": 0.01,
    "谌": 0.01,
    "冼": 0.01,
    "柏": 0.02,
    "召": 0.01,
    "欧阳": 0.05,
    "司马": 0.01,
    "诸葛": 0.01,
    "上官": 0.01,
    "东方": 0.005,
    "皇甫": 0.005,
    "慕容": 0.005,
    "长孙": 0.005,
    "尉迟": 0.005,
    "令狐": 0.005,
    "司徒": 0.01,
    "夏侯": 0.005,
}


def surname_weights() -> dict[str, float]:
    weights = {name: float(w) for name, w in _FakerNames.last_names.items()}
    for name, w in EXTRA_SURNAMES.items():
        weights.setdefault(name, w)
    return weights


# Characters for two-character given names, in the taste of the 1960s–2000s.
MALE_CHARS = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳亮成建峰晨瑞博彬坤岩志国文"
    "海永立德嘉子睿轩泽宏毅振天云兴东江朝思远承哲然"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲桂英萍燕红琳晶婷雪慧颖倩琴洁欣怡梅莉兰凤佳丹悦诗雨思涵梦菲蕾璐月"
    "晓瑶雅婉清可馨"
)

MALE_GIVEN_SINGLE = tuple(n for n in _FakerNames.first_names_male if len(n) == 1)
MALE_GIVEN_DOUBLE = tuple(n for n in _FakerNames.first_names_male if len(n) == 2)
FEMALE_GIVEN_SINGLE = tuple(n for n in _FakerNames.first_names_female if len(n) == 1)
FEMALE_GIVEN_DOUBLE = tuple(n for n in _FakerNames.first_names_female if len(n) == 2)

OCCUPATIONS: tuple[str, ...] = (
    "教师",
    "医生",
    "护士",
    "工程师",
    "程序员",
    "公务员",
    "会计",
    "律师",
    "设计师",
    "销售经理",
    "个体经营",
    "自由职业",
    "企业主",
    "财务总监",
    "行政主管",
    "人力资源",
    "研究员",
    "建筑师",
    "退休",
    "大学生",
    "餐饮店主",
    "电商运营",
    "银行职员",
    "保险顾问",
    "房产经纪",
    "摄影师",
)
POSITIONS: tuple[str, ...] = (
    "总经理",
    "副总经理",
    "采购经理",
    "采购专员",
    "行政经理",
    "财务经理",
    "办公室主任",
    "市场总监",
    "运营总监",
    "人事经理",
    "项目经理",
    "总裁助理",
    "董事长",
    "技术总监",
)
DEPARTMENTS: tuple[str, ...] = (
    "采购部",
    "行政部",
    "财务部",
    "总经办",
    "市场部",
    "人力资源部",
    "工程部",
    "运营部",
)
INTERESTS: tuple[str, ...] = (
    "茶艺",
    "高尔夫",
    "摄影",
    "旅游",
    "美食",
    "健身",
    "读书",
    "收藏",
    "书法",
    "钓鱼",
    "户外徒步",
    "红酒",
    "园艺",
    "瑜伽",
    "马拉松",
    "古典音乐",
    "围棋",
    "烘焙",
    "自驾游",
    "亲子活动",
)
PREFERENCES: tuple[str, ...] = (
    "偏好微信联系",
    "工作日白天勿打电话",
    "周末到店",
    "需要开具增值税专用发票",
    "喜欢新品试用",
    "对价格敏感，关注促销",
    "重视售后服务",
    "偏好送货上门",
    "节日礼品需求大",
    "只接受短信通知",
)
