"""A size limit for the disk tile cache (TILE_CACHE_MAX_MB).

The disk cache only grows by itself: every viewer class, zoom and column a wall or a phone
ever looked at stays, and an edit of tiles/ leaves the old files' directory behind (a
process moves to the new one, gisapp.tiles.cache.TileCache.follow). The node's deleter
process (the one holding `.deleter`, gisapp.tiles.disk) looks at the whole cache
directory at most every TRIM_SECONDS, and when it holds more than the limit deletes the
files written longest ago until it holds TRIM_TO of it. A tile deleted here is rendered
again on its next request, as after any miss.

The walk runs off the request path: in an OS thread of gevent's pool under gunicorn (a
greenlet would block the hub while it lists directories), in a plain thread otherwise.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
TRIM_SECONDS = 300.0
TRIM_TO = 0.8


class DiskTrim:
    """Keeps the files under `directory` within `max_bytes` (0: no limit)."""

    def __init__(self, directory: Path | None, max_bytes: int):
        self.directory, self.max_bytes = directory, max_bytes
        self._last = float("-inf")
        self._busy = False                      # a trim runs (set here, cleared by it)
        self.deleted = 0

    def due(self, lead: bool) -> None:
        """Start a trim in the background if this process deletes for the node and the
        last one is TRIM_SECONDS old (and none runs)."""
        if not lead or self.directory is None or self.max_bytes <= 0:
            return
        now = time.monotonic()
        if now - self._last < TRIM_SECONDS or self._busy:
            return
        self._last, self._busy = now, True
        _in_os_thread(self._run)

    def _run(self) -> None:
        try:
            self.run()
        except OSError as exc:
            log.warning("tile cache trim failed: %s", exc)
        finally:
            self._busy = False

    def run(self) -> int:
        """Trim now; returns the number of files deleted."""
        files, total = _tiles(self.directory)
        if total <= self.max_bytes:
            return 0
        files.sort()                            # oldest written first
        goal, deleted = self.max_bytes * TRIM_TO, 0
        for _, size, path in files:
            if total <= goal:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            deleted += 1
        _drop_empty_dirs(self.directory)
        self.deleted += deleted
        return deleted


def _tiles(directory: Path) -> tuple[list[tuple[float, int, str]], int]:
    """(mtime, size, path) of every tile file below `directory`, and their total size."""
    files, total = [], 0
    for root, _, names in os.walk(directory):
        for name in names:
            if not name.endswith(".pbf"):
                continue                        # lock files, a writer's temporary files
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, path))
            total += st.st_size
    return files, total


def _drop_empty_dirs(directory: Path) -> None:
    for root, dirs, names in os.walk(directory, topdown=False):
        if not dirs and not names and root != str(directory):
            try:
                os.rmdir(root)
            except OSError:
                pass                            # a writer just made a file in it


def _in_os_thread(fn) -> None:
    """Run `fn` in a real OS thread, also when gevent has patched `threading`."""
    try:
        from gevent import monkey
        patched = monkey.is_module_patched("threading")
    except ImportError:
        patched = False
    if patched:
        import gevent
        gevent.get_hub().threadpool.spawn(fn)
    else:
        threading.Thread(target=fn, name="tile-trim", daemon=True).start()
