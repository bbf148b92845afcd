"""Uploaded files: text in the encodings a Chinese spreadsheet program writes."""
from __future__ import annotations

from ..errors import BadInput


def decode_text(data: bytes, refusal: str, field: str | None = None) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030; else BadInput(refusal)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise BadInput(refusal, **({"field": field} if field else {})) from None
