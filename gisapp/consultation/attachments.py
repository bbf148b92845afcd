"""A step's attachments (photos of a meeting, the signed minutes as PDF): checked by content,
size-limited, stored by their SHA-256 beside the case photos (see gisapp/cases/photos.py).

Files are written before the transaction commits; a caller whose transaction fails
removes what it wrote with `photos.discard`, as case reports do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.engine import Connection

from ..cases import photos
from ..errors import BadInput, TooLarge
from ..queries import loader
from ..web.uploads import write_atomically

sql = loader(__package__)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}

_REFUSAL = "附件无法保存，请稍后重试 (storage failed: {})"


def sniff(data: bytes) -> str:
    """The content type from the file's first bytes: an image or a PDF, else BadInput."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        return photos.sniff(data)[0]
    except BadInput:
        raise BadInput(
            "附件必须是 JPEG、PNG、WebP 图片或 PDF (attachment must be an image or a PDF)",
            field="attachments",
        ) from None


def check(uploads: list[tuple[str, bytes]], max_bytes: int) -> list[tuple[str, bytes, str]]:
    """(name, data, content type) of each upload; TooLarge/BadInput before any is written."""
    checked = []
    for name, data in uploads:
        if len(data) > max_bytes:
            raise TooLarge(
                f"附件「{name}」超过 {max_bytes // (1024 * 1024)} MB "
                f"(attachment is over {max_bytes} bytes)",
                field="attachments",
            )
        if not data:
            raise BadInput(f"attachment {name!r} is empty", field="attachments")
        checked.append((name[:200] or "附件", data, sniff(data)))
    return checked


def store_all(
    conn: Connection,
    root: Path,
    topic_id: int,
    step_id: int,
    checked: list[tuple[str, bytes, str]],
    stored: list[dict],
) -> None:
    """Write each file (once per content) and its row; `stored` collects what was written."""
    for name, data, ctype in checked:
        digest = hashlib.sha256(data).hexdigest()
        path = path_for(root, digest, ctype)
        created = not path.exists()
        if created:
            write_atomically(path, data, _REFUSAL)
        stored.append({"path": path, "created": created})
        conn.execute(
            sql("attachment_insert"),
            {
                "topic_id": topic_id,
                "step_id": step_id,
                "sha256": digest,
                "content_type": ctype,
                "filename": name,
                "bytes": len(data),
            },
        )
    if checked:
        conn.execute(sql("attachment_count"), {"id": step_id, "n": len(checked)})


def path_for(root: Path, sha256: str, content_type: str) -> Path:
    return root / sha256[:2] / f"{sha256}.{EXTENSIONS[content_type]}"

