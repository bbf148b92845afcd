"""Demo topics: a few plausible consultations at every step, taken through the real code.

The first community (the one the demo users work in) gets one topic per level and step;
a dozen other communities get one each, so the wall's layer shows more than one place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer, jurisdiction_prefixes
from . import opinions, topics, workflow

# (level, title, body, step reached, state)
FIRST_COMMUNITY = [
    (
        "community",
        "老旧小区加装电梯",
        "3号楼、5号楼多户老人上下楼困难，提出加装电梯。",
        6,
        "reported",
    ),
    ("courtyard", "楼院停车位重新规划", "楼院内车辆乱停，消防通道常被堵。", 5, "open"),
    ("building", "楼道堆物清理与公约", "楼道堆放杂物，存在消防隐患。", 1, "open"),
    ("community", "电动自行车充电桩选址", "居民在楼道私拉电线充电，需集中建设充电桩。", 3, "open"),
    ("community", "广场舞噪声协调", "晚间广场舞音响扰民，需商定时间和音量。", 4, "open"),
    ("street", "街道农贸市场改造", "市场设施老化，周边社区居民希望改造升级。", 2, "open"),
    ("community", "小区大门更换门禁", "门禁系统损坏，有居民提出更换。", 2, "dropped"),
]
OTHERS = [
    "垃圾分类投放点调整",
    "社区食堂开办",
    "健身器材增设",
    "老年活动室改造",
    "雨污管网改造",
    "小区绿化补种",
    "快递柜设置",
    "楼顶防水维修",
]
TEXTS = {
    2: {},
    3: {"plan": "方案：费用按受益户分摊，申请政府补贴；施工期间做好安全围挡。"},
    4: {"announcement": "方案在楼院公示栏和楼栋微信群公示七天，接受居民意见。"},
    5: {
        "minutes": "到会居民代表 15 人，逐项讨论方案；12 人同意，2 人弃权，1 人反对。",
        "decision": "通过方案，由物业公司牵头实施，社区监督。",
        "participants": [
            {"kind": "resident_rep", "name": "居民代表 李德明"},
            {"kind": "resident_rep", "name": "居民代表 王秀英"},
            {"kind": "unit", "name": "辖区物业服务中心"},
            {"kind": "department", "name": "区住房和城乡建设局"},
        ],
        "tasks": [
            {
                "title": "组织施工单位进场",
                "owner_name": "辖区物业服务中心",
                "deadline": "2027-03-31",
            },
            {"title": "向居民公布费用明细", "owner_name": "社区居委会", "deadline": "2027-01-15"},
        ],
    },
    6: {"outcome": "方案已实施：施工单位已进场，费用明细已在公示栏公布；欢迎居民监督。"},
}
RESIDENTS = [
    "希望尽快解决，老人出行不便。",
    "费用分摊要公开透明。",
    "同意，但施工时间别太早。",
    "建议先听听一楼住户的意见。",
]


def add_demo_topics(
    conn: Connection, photo_dir: str | Path = "var/photos", seed: int = 2022
) -> int:
    """Add the demo topics (nothing if there are topics already); returns how many."""
    if conn.execute(text("SELECT EXISTS (SELECT 1 FROM topic)")).scalar():
        return 0
    community = _viewer(conn, "demo.community")
    admin = _viewer(conn, "demo.admin")
    if community is None or admin is None:
        return 0
    code = community.prefixes[0]
    made = 0
    for level, title, body, step, state in FIRST_COMMUNITY:
        _make(conn, admin, _where(conn, level, code), title, body, step, state, Path(photo_dir))
        made += 1
    rng = np.random.default_rng(seed)
    others = (
        conn.execute(
            text(
                "SELECT code FROM area_current WHERE level = 3 AND code <> :c "
                "ORDER BY code LIMIT 12"
            ),
            {"c": code},
        )
        .scalars()
        .all()
    )
    for i, other in enumerate(others):
        step = int(rng.integers(1, 7))
        _make(
            conn,
            admin,
            {"level": "community", "area_code": other},
            OTHERS[i % len(OTHERS)],
            "居民在走访中提出。",
            step,
            "reported" if step == 6 else "open",
            Path(photo_dir),
        )
        made += 1
    return made


def _viewer(conn: Connection, username: str) -> Viewer | None:
    row = conn.execute(
        text("SELECT id, role, person_id FROM app_user WHERE username = :u"), {"u": username}
    ).first()
    if row is None:
        return None
    return Viewer(
        row.id,
        username,
        row.role,
        row.person_id,
        jurisdiction_prefixes(conn, row.role, row.person_id),
    )


def _where(conn: Connection, level: str, community: str) -> dict:
    if level == "street":
        return {"level": level, "area_code": community[:9]}
    if level == "community":
        return {"level": level, "area_code": community}
    microgrid = conn.execute(
        text(
            "SELECT code FROM area_current WHERE level = 5 AND code LIKE :p ORDER BY code LIMIT 1"
        ),
        {"p": community + "%"},
    ).scalar()
    if level == "courtyard":
        return {"level": level, "area_code": microgrid}
    building = conn.execute(
        text(
            "SELECT b.id FROM building b JOIN area a ON a.id = b.area_id "
            "WHERE a.code = :c ORDER BY b.id LIMIT 1"
        ),
        {"c": microgrid},
    ).scalar()
    return (
        {"level": level, "building_id": building}
        if building
        else {"level": "courtyard", "area_code": microgrid}
    )


def _make(conn, viewer, where, title, body, step, state, root) -> None:
    topic_id = workflow.open_topic(
        conn,
        viewer,
        {**where, "title": title, "body": body, "note": "入户走访和楼栋微信群收集"},
        [],
        root,
        [],
    )
    topic = topics.get_topic(conn, topic_id)
    for text_ in RESIDENTS[: 2 + topic_id % 3]:
        opinions.add_public(conn, topic, {"body": text_})
    for n in range(2, step + 1):
        workflow.take_step(
            conn, viewer, topic_id, {"step": n, "note": "", **TEXTS[n]}, [], root, []
        )
    if state == "dropped":
        topics.drop(conn, viewer, topic_id, {"reason": "物业已自行更换门禁，议题终止。"})
