"""What a person who reports a case is told back: where it landed and whom to call."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

_RECEIPT = text("SELECT * FROM area_receipt(CAST(:code AS text))")      # sql/275


def receipt_area(conn: Connection, area_code: str | None) -> dict:
    """The area's full path ('嘉和苑社区 第11网格 第1微网格') and the office to call."""
    if not area_code:
        return {"area_path": None, "office": None}
    return as_receipt(conn.execute(_RECEIPT, {"code": area_code}).mappings().one())


def as_receipt(row) -> dict:
    """The receipt from area_receipt()'s columns (area_path, office_name, office_phone)."""
    office = ({"name": row["office_name"], "phone": row["office_phone"]}
              if row["office_phone"] else None)
    return {"area_path": row["area_path"], "office": office}
