"""The shared tile cache in the proxy (Varnish, deploy/cluster/varnish.vcl.tmpl): what the
app tells it about each tile, and the bans that keep it exact.

Varnish stores only tiles of the shared access classes (`SHARED_CLASSES`), under the URL
and the class, which it asks the app for (`/tiles/access-class/<layer>/<z>`, answered by
`access_class_of`). Each tile response names its tile (`X-Tile: <layer>/<z>/<x>/<y>`),
the class the app served (`X-Tile-Class`; Varnish stores the tile only when it is the
class of the slot it asked for), the layer files it was built by (`X-Tile-Layers`, a
digest that the class lookup names too, so an edit of tiles/ moves every viewer to new
slots within the lookup's lifetime) and how long it stays valid by time alone
(`X-Tile-Max-Age`). When this process applies `tile_dirty` regions, `ProxyBans` sends
Varnish a BAN for the batch (more than one only when it is long): a regular expression
over `X-Tile` naming the tiles the regions touch, by the rule the app's own cache uses
(gisapp.tiles.regions), or a whole layer when the list would be too long. With
TILE_PROXY_BAN_URL unset nothing is sent.
"""
from __future__ import annotations

import logging
import re
import threading
import time
import urllib.error
import urllib.request

from ..accounts.access import Viewer
from .layers import Registry, access_class, shows_personal_data, tile_range
from .regions import Region

log = logging.getLogger(__name__)
SHARED_CLASSES = ("any", "public")
PRIVATE = "private"             # the class lookup's answer for everything Varnish must pass
MAX_AGE = 3600                  # seconds a shared tile stays in Varnish without a ban
MAX_BAN_CHARS = 6000            # per BAN (Varnish's http_req_hdr_len is 8 KB)
MAX_LAYER_CHARS = 60_000        # above this, a layer is banned whole
BAN_TIMEOUT = 2.0
EVERY_TILE = "."
RETRY_SECONDS = 2.0
MAX_PENDING = 1000


def access_class_of(layer, viewer: Viewer, z: int) -> str:
    """The cache slot Varnish may serve this viewer's tiles of a layer and zoom from: a
    shared class, or PRIVATE (personal data, per-user and per-duty classes: never stored)."""
    if shows_personal_data(layer, viewer, z):
        return PRIVATE
    if layer.kind == "cases" and viewer.is_public and not layer.public_sql:
        return PRIVATE              # the tile view answers 401
    cls = access_class(layer, viewer)
    return cls if cls in SHARED_CLASSES else PRIVATE


def proxy_headers(layer_name: str, z: int, x: int, y: int, cls: str,
                  expires: float | None, digest: str,
                  fresh: bool = True) -> list[tuple[str, str]]:
    """The headers that let Varnish store a shared tile (none for the other classes).
    `digest`: of the layer files the tile was built by; Varnish keeps it only in the slot
    of the files the class lookup named. `fresh` False: a change arrived while the tile
    was rendered, so it must not be kept."""
    if cls not in SHARED_CLASSES or not fresh:
        return []
    max_age = MAX_AGE if expires is None else max(0, min(MAX_AGE, int(expires - time.time())))
    return [("X-Tile", f"{layer_name}/{z}/{x}/{y}"), ("X-Tile-Class", cls),
            ("X-Tile-Layers", digest), ("X-Tile-Max-Age", str(max_age))]


def ban_patterns(regions: list[Region], registry: Registry) -> list[str]:
    """Regular expressions that together match the `X-Tile` of every tile the regions make
    stale in any shared class (none when they touch no layer), each short enough for one
    BAN header.

    The tiles a region touches at a zoom are a rectangle of columns x rows
    (`tile_range`, the rule of the app's own cache), written as
    `<layer>/<z>/(?:<x0>|...|<x1>)/(?:<y0>|...|<y1>)`: exact, and as long as the
    rectangle's sides, not its area (a street at zoom 18 is thousands of tiles)."""
    margin = registry.buffer_px / 256
    parts: list[str] = []
    for layer in registry.layers.values():
        groups = set(layer.depends) | set(layer.public_depends)
        touching = [r for r in regions if r.grp in groups]
        if touching:
            parts.extend(_layer_parts(touching, layer, margin))
    return _packed(parts)


def _layer_parts(regions: list[Region], layer, margin: float) -> list[str]:
    """The alternatives of one layer; the whole layer if they would be too long."""
    name = re.escape(layer.name)
    parts = sorted({f"{name}/{z}/{_either(x0, x1)}/{_either(y0, y1)}"
                    for region in regions for z in range(layer.minzoom, layer.maxzoom + 1)
                    for x0, y0, x1, y1 in [tile_range(region.bbox, z, margin)]})
    if sum(map(len, parts)) > MAX_LAYER_CHARS or max(map(len, parts)) > MAX_BAN_CHARS - 8:
        return [f"{name}/.*"]
    return parts


def _either(first: int, last: int) -> str:
    return "(?:" + "|".join(map(str, range(first, last + 1))) + ")"


def _packed(parts: list[str]) -> list[str]:
    """Alternatives joined into anchored expressions of at most MAX_BAN_CHARS each."""
    patterns, current, length = [], [], 0
    for part in parts:
        if current and length + len(part) + 1 > MAX_BAN_CHARS - 8:
            patterns.append(current)
            current, length = [], 0
        current.append(part)
        length += len(part) + 1
    if current:
        patterns.append(current)
    return ["^(?:" + "|".join(group) + ")$" for group in patterns]


class ProxyBans:
    """Sends Varnish a BAN for each batch of regions this process applies. A ban that
    fails (Varnish restarting) is kept and sent again with a sync at least RETRY_SECONDS
    later.

    A process that starts cannot know which changes were written while no app process
    ran to ban them (a bulk import with the nodes down): its first sync bans every tile
    once. Varnish refills from the nodes' own caches, which check such changes."""

    def __init__(self, ban_url: str, registry_fn):
        self._url = ban_url
        self._registry_fn = registry_fn
        self._pending: list[str] = [EVERY_TILE]
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self.sent = 0

    @classmethod
    def for_urls(cls, urls: str, registry_fn):
        """The cache's on_apply for TILE_PROXY_BAN_URL (comma-separated: one Varnish per
        HAProxy machine), or None when it is empty."""
        each = [cls(u.strip(), registry_fn) for u in urls.split(",") if u.strip()]
        if not each:
            return None

        def applied(regions: list[Region]) -> None:
            for bans in each:
                bans.applied(regions)
        return applied

    def applied(self, regions: list[Region]) -> None:
        """Ban the tiles these regions touch (and any ban still pending). After a failed
        send, pending bans wait RETRY_SECONDS; too many of them become one ban of all."""
        patterns = ban_patterns(regions, self._registry_fn()) if regions else []
        with self._lock:
            self._pending.extend(patterns)
            if len(self._pending) > MAX_PENDING:
                self._pending = [EVERY_TILE]
            if not self._pending or time.monotonic() < self._retry_at:
                return
            pending, self._pending = self._pending, []
        for i, expr in enumerate(pending):
            if not self._send(expr):
                with self._lock:
                    self._pending[:0] = pending[i:]
                    self._retry_at = time.monotonic() + RETRY_SECONDS
                return

    def _send(self, pattern: str) -> bool:
        request = urllib.request.Request(self._url, method="BAN", headers={"X-Ban": pattern})
        try:
            with urllib.request.urlopen(request, timeout=BAN_TIMEOUT) as resp:
                resp.read()
            self.sent += 1
            return True
        except urllib.error.HTTPError as exc:        # refused: sending it again won't help
            log.error("tile proxy refused a ban (%s): %s", exc.code, pattern[:200])
            return True
        except (urllib.error.URLError, OSError) as exc:
            log.warning("tile proxy ban failed (sent again in %.0f s): %s", RETRY_SECONDS, exc)
            return False
