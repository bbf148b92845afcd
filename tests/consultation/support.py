"""Helpers shared by the consultation tests: topics at a given step, the tiny city's places."""

from __future__ import annotations

import struct
import zlib

from sqlalchemy import text

from ..tiny_city import PASSWORD

STREET, COMMUNITY, COURTYARD = "210204001", "210204001001", "210204001001001001"
NW = (121.51, 38.99)
STEP_FIELDS = {
    2: {"title": "加装电梯议题"},
    3: {"plan": "方案：每户按楼层分摊"},
    4: {"announcement": "公示七天"},
    5: {
        "minutes": "会议纪要",
        "decision": "同意加装",
        "participants": [
            {"kind": "resident_rep", "name": "居民代表李某"},
            {"kind": "unit", "name": "驻社单位某公司"},
            {"kind": "department", "name": "住建局"},
        ],
        "tasks": [{"title": "联系电梯公司", "owner_name": "物业公司", "deadline": "2027-01-31"}],
    },
    6: {"outcome": "电梯已开工，预计三月完工"},
}


def add_building(engine) -> int:
    """A building in the north-west micro-grid (the courtyard of the tiny city)."""
    with engine.begin() as conn:
        return conn.execute(
            text("""
            INSERT INTO building (name, geom, area_id)
            VALUES ('测试楼1号', ST_SetSRID(ST_MakePoint(121.505, 38.995), 4326),
                    (SELECT id FROM area WHERE code = :c)) RETURNING id"""),
            {"c": COURTYARD},
        ).scalar()


def where(level: str, building_id: int | None = None) -> dict:
    if level == "building":
        return {"level": level, "building_id": building_id}
    return {
        "level": level,
        "area_code": {"street": STREET, "community": COMMUNITY, "courtyard": COURTYARD}[level],
    }


def open_topic(client, headers, level="community", building_id=None, title="楼道堆物治理"):
    return client.post(
        "/api/topics",
        headers=headers,
        json={**where(level, building_id), "title": title, "body": "说明", "note": "居民反映"},
    )


def topic_at(engine, client, admin_headers, level, step, building_id=None) -> int:
    """A topic opened by the city admin and set to `step` directly in the database."""
    resp = open_topic(client, admin_headers, level, building_id)
    assert resp.status_code == 201, resp.get_json()
    topic_id = resp.get_json()["id"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE topic SET step = :s WHERE id = :t"), {"s": step, "t": topic_id})
    return topic_id


def snapshot(engine, topic_id: int) -> tuple:
    """Everything a refused request must leave as it was."""
    with engine.connect() as conn:
        return conn.execute(
            text("""
            SELECT t.step, t.state, t.version, t.plan, t.outcome,
                   (SELECT count(*) FROM topic_step s WHERE s.topic_id = t.id),
                   (SELECT count(*) FROM topic_attachment f WHERE f.topic_id = t.id),
                   (SELECT count(*) FROM topic_opinion o WHERE o.topic_id = t.id),
                   (SELECT count(*) FROM topic_task k WHERE k.topic_id = t.id),
                   (SELECT count(*) FROM topic_participant p WHERE p.topic_id = t.id)
            FROM topic t WHERE t.id = :t"""),
            {"t": topic_id},
        ).one()


def fresh_window(engine) -> None:
    """Forget the public opinions counted in this minute (every test client is 127.0.0.1)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rate_limit WHERE bucket LIKE 'opinion:%'"))


def png(width=120, height=90, rgb=(200, 60, 40)) -> bytes:
    """A real (tiny) PNG."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def login(page, base, username, then):
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")
