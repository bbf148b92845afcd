"""What a person who reports a case is told back: where it landed and whom to call."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from ..queries import loader

sql = loader(__package__)


def receipt_area(conn: Connection, area_code: str | None) -> dict:
    """The area's full path ('嘉和苑社区 第11网格 第1微网格') and the office to call."""
    if not area_code:
        return {"area_path": None, "office": None}
    row = conn.execute(sql("case_receipt"), {"code": area_code}).mappings().first()
    office = ({"name": row["office_name"], "phone": row["office_phone"]}
              if row and row["office_phone"] else None)
    return {"area_path": row["area_path"] if row else None, "office": office}
