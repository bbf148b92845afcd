"""Photos: type checked by content, size limited, stored outside the web root by hash.

A file is written before the database transaction commits; if the transaction fails
the caller removes what it wrote (`discard`), so disk and database stay consistent.
Files are named by their SHA-256, so a retried upload never stores a second copy.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import BadInput, TooLarge
from ..web.uploads import write_atomically

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)

_REFUSAL = "照片无法保存，请稍后重试 (photo storage failed: {})"


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) from the file's first bytes, or BadInput."""
    for magic, ctype, ext in SIGNATURES:
        if data.startswith(magic):
            return ctype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    raise BadInput("照片必须是 JPEG、PNG 或 WebP 图片 (photo must be a JPEG, PNG or WebP image)",
                   field="photos")


def store(root: Path, data: bytes, max_bytes: int) -> dict:
    """Write one photo under root/<2 hex>/<sha256>.<ext>; returns its description."""
    if len(data) > max_bytes:
        raise TooLarge(f"photo is {len(data)} bytes; the limit is {max_bytes}", field="photos")
    if not data:
        raise BadInput("photo is empty", field="photos")
    ctype, ext = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    path = root / digest[:2] / f"{digest}.{ext}"
    created = not path.exists()
    if created:
        write_atomically(path, data, _REFUSAL)
    return {"sha256": digest, "content_type": ctype, "bytes": len(data), "path": path,
            "created": created}


def discard(stored: list[dict]) -> None:
    """Remove files this request created (its transaction did not commit)."""
    for item in stored:
        if item.get("created"):
            Path(item["path"]).unlink(missing_ok=True)


def path_for(root: Path, sha256: str, content_type: str) -> Path:
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[content_type]
    return root / sha256[:2] / f"{sha256}.{ext}"
