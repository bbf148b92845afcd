"""Word lists for the synthetic Dalian demo city: districts, streets, names, phones."""
from __future__ import annotations

import numpy as np

# GB/T 2260 code -> (district name, street (街道) names in the order they are used).
# Street names are real Dalian streets of that district; the boundaries are not.
DISTRICTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "210202": ("中山区", ("青泥洼桥", "人民路", "桃源", "老虎滩", "海军广场", "葵英",
                         "昆明", "桂林")),
    "210203": ("西岗区", ("白云", "八一路", "日新", "人民广场", "北京", "香炉礁")),
    "210204": ("沙河口区", ("黑石礁", "星海湾", "马栏", "李家", "春柳", "南沙河口",
                          "中山公园", "兴工", "西安路")),
    "210211": ("甘井子区", ("周水子", "椒金山", "机场", "中华路", "兴华", "泉水", "南关岭",
                          "泡崖", "甘井子", "红旗", "凌水", "营城子", "辛寨子", "大连湾",
                          "金家街", "革镇堡")),
    "210212": ("旅顺口区", ("得胜", "光荣", "登峰", "市场", "水师营", "铁山", "龙王塘")),
    "210213": ("金州区", ("拥政", "友谊", "光明", "先进", "马桥子", "站前", "董家沟",
                         "大魏家")),
}

COMMUNITY_HEADS = (
    "星海", "锦绣", "华庭", "明珠", "春和", "福佳", "长兴", "玉华", "和平", "友好",
    "兴华", "富民", "安乐", "康乐", "红星", "向阳", "朝阳", "东方", "光明", "新华",
    "民主", "胜利", "海韵", "碧海", "青云", "金桥", "银河", "绿波", "枫林", "丁香",
    "槐花", "樱花", "海昌", "嘉和", "紫云", "瑞祥", "泉涌", "松江", "山海", "虹港",
)
COMMUNITY_TAILS = ("", "东", "西", "南", "北", "园", "苑", "里", "新村", "湾", "花园",
                   "家园", "山庄", "路", "街")

# What each facility kind is called on its signboard (after the community's name).
FACILITY_NAMES = {
    "mediation_room": "人民调解室", "elderly_canteen": "老年食堂",
    "elderly_day_care": "日间照料中心", "child_care": "四点半课堂",
    "clinic": "社区卫生服务站", "legal_service_point": "法治超市",
    "counselling_room": "心理咨询室", "reasoning_point": "评理说事点",
    "grid_parlour": "网格会客厅", "party_mass_centre": "党群服务中心",
    "gov_service_station": "政务服务驿站", "rehabilitation": "康复中心",
    "swap_station": "换电站",
}

ROADS = (
    "中山路", "人民路", "解放路", "长江路", "黄河路", "五四路", "西安路", "高尔基路",
    "友好路", "胜利路", "鲁迅路", "新华路", "星海路", "马栏街", "锦云街", "兴工街",
    "春柳街", "联合路", "香周路", "华北路", "泉水路", "红旗路", "山东路", "软件园路",
    "数码路", "黄浦路", "疏港路", "金马路", "东北路", "迎客路", "英华路", "华东路",
)

# Surnames roughly in order of frequency in Liaoning; weights fall off with rank.
SURNAMES = (
    "王李张刘赵杨陈孙于徐高马朱胡郭林何罗梁宋郑谢韩唐冯董曹袁邓许沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎潘杜戴夏钟汪田任姜范方石姚谭邹熊金陆郝孔白崔康毛邱秦江史顾侯"
    "邵孟龙万段雷钱汤尹常武乔贺龚文宫隋鞠衣"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉萍红建国文斌宇浩凯鹏辉晶"
    "婷雪琳颖丹宁博佳欣怡子涵晨阳海波春梅兰凤秀志成东亮飞鑫淑珍立新永福德振"
)
SURNAME_WEIGHTS = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
SURNAME_WEIGHTS /= SURNAME_WEIGHTS.sum()

MOBILE_PREFIXES = tuple(f"13{d}" for d in range(10)) + tuple(
    f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)) + tuple(f"18{d}" for d in range(10))


def community_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct community (社区) names."""
    heads = np.repeat(np.arange(len(COMMUNITY_HEADS)), len(COMMUNITY_TAILS))
    tails = np.tile(np.arange(len(COMMUNITY_TAILS)), len(COMMUNITY_HEADS))
    pick = rng.choice(len(heads), size=n, replace=False)
    return [f"{COMMUNITY_HEADS[heads[i]]}{COMMUNITY_TAILS[tails[i]]}社区" for i in pick]


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` random Chinese full names: a surname and one or two given-name characters."""
    sur = rng.choice(len(SURNAMES), size=n, p=SURNAME_WEIGHTS)
    g1 = rng.integers(0, len(GIVEN_CHARS), size=n)
    g2 = rng.integers(0, len(GIVEN_CHARS), size=n)
    two = rng.random(n) < 0.65
    return [SURNAMES[s] + GIVEN_CHARS[a] + (GIVEN_CHARS[b] if t else "")
            for s, a, b, t in zip(sur.tolist(), g1.tolist(), g2.tolist(), two.tolist())]


def mobile_phones(rng: np.random.Generator, n: int) -> list[str]:
    """`n` random 11-digit mainland mobile numbers (13x, 15x, 18x)."""
    pre = rng.integers(0, len(MOBILE_PREFIXES), size=n)
    rest = rng.integers(0, 10 ** 8, size=n)
    return [f"{MOBILE_PREFIXES[p]}{r:08d}" for p, r in zip(pre.tolist(), rest.tolist())]


def landlines(rng: np.random.Generator, n: int) -> list[str]:
    """`n` random Dalian landline numbers (area code 0411, eight digits)."""
    return [f"0411-{d}" for d in rng.integers(8240_0000, 8899_9999, size=n).tolist()]

# The special groups a household may be tagged with (household.tags).
TAGS = ("独居老人", "低保", "残疾", "失独", "社区矫正", "空巢老人", "困境儿童", "戒毒康复")
