"""Demo demands (民意诉求) for the demo city: a few per community over the last four months.

Texts come from a handful of plausible asks per category, so that the same ask raised
again in a community within 90 days falls into one group, as the grouping rule would put
it. Older demands have mostly ended (answered, turned into a case of the community when
one of the matching category exists, a few declined); recent ones are open, some overdue.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.engine import Connection

from .raising import RECEIPT_ALPHABET, sql

PER_COMMUNITY = 8              # demands per community over DAYS, on average
DAYS = 120
GROUP_DAYS = 90
DEADLINE_DAYS = 15
TEXTS = {
    "elderly_care": [
        "希望社区开设老年助餐点，方便独居老人吃饭",
        "楼道没有扶手，老人上下楼不方便，希望加装扶手",
        "希望增加上门探访独居老人的次数",
    ],
    "environment": [
        "小区垃圾清运不及时，夏天异味很大",
        "楼下绿地有人乱扔垃圾，希望加强清理",
        "小区化粪池外溢，希望尽快疏通",
    ],
    "parking": [
        "小区停车位太少，晚上车停不下",
        "小区门口乱停车堵塞通道，希望规划停车位",
        "希望在小区内增设电动车充电桩",
    ],
    "facilities": [
        "小区路灯坏了好几盏，晚上走路很黑",
        "健身器材损坏，希望维修更换",
        "单元门禁坏了，希望尽快修好",
    ],
    "property": [
        "物业打扫卫生不及时，楼道很脏",
        "物业费上涨但服务没有改善，希望社区协调",
        "电梯经常故障，物业维修不及时",
    ],
    "heating": [
        "家里暖气不热，室温不到18度",
        "老楼水压低，高层经常停水",
        "供暖管道漏水，希望尽快维修",
    ],
    "safety": [
        "楼道堆放杂物，消防通道不畅",
        "小区监控坏了，希望修复",
        "夜间有陌生人进出，希望加强巡逻",
    ],
    "greening": [
        "小区绿化带杂草丛生，希望修剪",
        "树枝遮挡窗户，希望修剪树木",
        "希望在空地上增设绿化和座椅",
    ],
    "policy": [
        "想咨询低保申请的条件和流程",
        "想了解老旧小区改造的计划",
        "咨询居家养老服务补贴怎么申请",
    ],
    "other": [
        "希望社区多组织文体活动",
        "希望开设儿童课后托管",
        "希望社区开办老年大学课程",
    ],
}
WEIGHTS = {"elderly_care": .14, "environment": .14, "parking": .16, "facilities": .12,
           "property": .12, "heating": .08, "safety": .08, "greening": .06, "policy": .05,
           "other": .05}
ANSWERS = ["已联系物业，本周内处理完毕", "已纳入社区年度为民办实事计划", "已协调相关部门，近期落实",
           "已上门解释相关政策，居民表示满意"]
DECLINES = ["属于业主之间的私人事务，已建议通过调解解决", "不属于社区职责范围，已告知居民咨询渠道"]
SUFFIXES = ["", "，已经反映过多次", "，请尽快解决", "，谢谢"]


def add_demo_demands(conn: Connection, seed: int, now: datetime) -> int:
    """Add demo demands to every community of the loaded city; how many were added."""
    picks = conn.execute(sql("demo_demand_picks"), {"n": PER_COMMUNITY, "seed": str(seed)}).all()
    if not picks:
        return 0
    rng = np.random.default_rng(seed)
    rows = _draw(rng, picks, now)
    first = conn.execute(sql("demo_demand_ids"), {"n": len(rows)}).scalar()
    _group(rows, first)
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    conn.execute(sql("demo_demand_insert"), {**columns, "days": DEADLINE_DAYS,
                                              "fallback": ANSWERS[1]})
    return len(rows)


def _draw(rng: np.random.Generator, picks, now: datetime) -> list[dict]:
    keys = list(WEIGHTS)
    p = np.array([WEIGHTS[k] for k in keys])
    rows = []
    for pick in picks:
        cat = keys[rng.choice(len(keys), p=p / p.sum())]
        ask = int(rng.integers(len(TEXTS[cat])))
        created = now - timedelta(seconds=float(rng.random() * DAYS * 86400))
        state, closed = _fate(rng, created, now)
        rows.append({
            "receipt": "".join(rng.choice(list(RECEIPT_ALPHABET), 10)), "category": cat,
            "body": TEXTS[cat][ask] + SUFFIXES[int(rng.integers(len(SUFFIXES)))],
            "ask": ask, "lng": pick.lng, "lat": pick.lat, "area_id": pick.area_id,
            "area_code": pick.code, "source": "public" if rng.random() < 0.45 else "staff",
            "state": state, "created_at": created, "closed_at": closed,
            "answer": ANSWERS[int(rng.integers(len(ANSWERS)))]
            if state in ("answered", "case") else None,
            "reason": DECLINES[int(rng.integers(len(DECLINES)))] if state == "declined" else None})
    rows.sort(key=lambda r: r["created_at"])
    return rows


def _fate(rng: np.random.Generator, created: datetime, now: datetime):
    """Where a demand raised at `created` stands now: most end within their 15 days."""
    took = timedelta(days=float(rng.gamma(2.0, 4.0)))            # median about 7 days
    if created + took > now:
        return "open", None
    r = rng.random()
    state = "answered" if r < 0.55 else "case" if r < 0.85 else "declined"
    return state, created + took


def _group(rows: list[dict], first: int) -> None:
    """Ids in order, and each demand's group: the first of the same ask in its community
    raised within GROUP_DAYS before it (the rule raise_demand applies)."""
    roots: dict[tuple, tuple[int, datetime]] = {}
    for i, r in enumerate(rows):
        r["id"] = first + i
        key = (r["category"], r["ask"], r["area_code"][:12])
        root = roots.get(key)
        if root is None or r["created_at"] - root[1] > timedelta(days=GROUP_DAYS):
            roots[key] = root = (r["id"], r["created_at"])
        r["group_id"] = root[0]
        del r["ask"]
