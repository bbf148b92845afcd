"""Uploaded files: how large a form may be, text in the encodings a Chinese spreadsheet
program writes, and files written whole or not at all."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask, current_app, request

from ..errors import BadInput, StorageFull

MB = 1024 * 1024


def body_limit(limit: Callable[[Mapping], int]):
    """Mark a view (or a whole blueprint) that takes multipart uploads: its form may be up
    to limit(app.config) bytes, where the app's MAX_CONTENT_LENGTH is for JSON bodies. The
    limit is set before anything reads the form (the NUL check of every form in errors.py
    runs before views)."""
    def mark(view):
        view.body_limit = limit
        return view
    return mark


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_apply_body_limit)


def _apply_body_limit(endpoint: str | None, values) -> None:
    # URL value preprocessors run before every before_request function.
    if endpoint is None or (request.mimetype or "") != "multipart/form-data":
        return
    limit = getattr(current_app.view_functions.get(endpoint), "body_limit", None)
    if limit is None and request.blueprint:
        limit = getattr(current_app.blueprints.get(request.blueprint), "body_limit", None)
    if limit is not None:
        request.max_content_length = limit(current_app.config)


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
