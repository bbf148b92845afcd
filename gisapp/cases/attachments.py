"""A case's photos: files stored by content hash (photos.py) and one row each in case_photo."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from ..errors import NotFound
from ..queries import loader
from . import photos

sql = loader(__package__)


def store_case_photos(conn: Connection, root: Path, max_bytes: int, case_id: int,
                      uploads: list[bytes], event_id: int | None = None) -> list[dict]:
    """Store each upload's file and row; on any failure the files written are removed.

    The caller removes them too (photos.discard) if its transaction fails afterwards.
    """
    stored = []
    try:
        for data in uploads:
            item = photos.store(root, data, max_bytes)
            stored.append(item)
            conn.execute(sql("case_photo_add"), {
                "c": case_id, "e": event_id, "s": item["sha256"], "t": item["content_type"],
                "b": item["bytes"]})
    except BaseException:
        photos.discard(stored)
        raise
    return stored


def add_stored_photo(conn: Connection, case_id: int, photo: dict) -> None:
    """Show a photo stored already (a visit's: sha256, content_type, bytes) on a case too;
    files are stored by content, so both rows name the same file."""
    conn.execute(sql("case_photo_add"), {"c": case_id, "e": None, "s": photo["sha256"],
                                         "t": photo["content_type"], "b": photo["bytes"]})


def case_photos(conn: Connection, case_id: int) -> list[dict]:
    """The photos of a case, oldest first, each with the URL it is served at."""
    rows = conn.execute(sql("case_photos"), {"c": case_id}).mappings()
    return [{**r, "url": f"/api/cases/{case_id}/photos/{r['id']}"} for r in rows]


def case_photo_file(conn: Connection, root: Path, case_id: int, photo_id: int) -> tuple[Path, str]:
    """Where one photo of a case is stored, and its content type; NotFound if it is not."""
    row = conn.execute(sql("case_photo"), {"p": photo_id, "c": case_id}).first()
    if row is None:
        raise NotFound("no such photo")
    return photos.path_for(root, row.sha256, row.content_type), row.content_type
