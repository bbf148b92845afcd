"""The memory part of the tile cache: a bounded LRU of entries, for one process."""
from __future__ import annotations

from collections import OrderedDict


class MemoryTiles:
    """Key -> entry, the least recently used dropped past `capacity`. Callers hold a lock."""

    def __init__(self, capacity: int):
        self._entries: OrderedDict = OrderedDict()
        self._capacity = capacity

    def get(self, key: tuple, now: float):
        """The entry for `key` if it has not expired (then it becomes the most recent)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires is not None and entry.expires <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple, entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def drop(self, stale) -> None:
        """Forget every entry whose key `stale(key)` says is stale."""
        for key in [k for k in self._entries if stale(k)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def keys(self) -> list[tuple]:
        return list(self._entries)
