"""Uploaded files: text in the encodings a Chinese spreadsheet program writes, and files
written whole or not at all."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import BadInput, StorageFull


def decode_text(data: bytes, refusal: str, field: str | None = None) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030; else BadInput(refusal)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise BadInput(refusal, **({"field": field} if field else {})) from None


def write_atomically(path: Path, data: bytes, refusal: str) -> None:
    """Write data to path through a synced temporary file and a rename, so a reader never
    sees half a file; StorageFull(refusal with the OS's reason in its {}) when it fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageFull(refusal.format(exc.strerror)) from None
