"""Helpers for the phone task tests: generated photos, logging in, reading browser storage."""
from __future__ import annotations

import random
import struct
import zlib

from .browser import wait_for_summary
from .tiny_city import PASSWORD


def png(width: int, height: int, seed: int = 1) -> bytes:
    """A PNG of random colours (noise does not compress, so size follows the pixel count)."""
    rnd = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(rnd.randrange(256) for _ in range(width * 3))
                    for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def photo_file(width: int = 64, height: int = 48, seed: int = 1, name: str = "photo.png") -> dict:
    """A file for Playwright's set_input_files, as a phone's camera would hand it over."""
    return {"name": name, "mimeType": "image/png", "buffer": png(width, height, seed)}


def login(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


# Everything this origin keeps in the browser: localStorage keys, IndexedDB databases (with
# their record counts), Cache Storage caches (with their URLs) and service workers.
STORAGE = """async () => {
  const dbs = await indexedDB.databases();
  const caches_ = {};
  for (const k of await caches.keys()) caches_[k] = """ \
    """(await (await caches.open(k)).keys()).map((r) => r.url);
  const regs = navigator.serviceWorker ? await navigator.serviceWorker.getRegistrations() : [];
  return { localStorage: Object.keys(localStorage), indexedDB: dbs.map((d) => d.name),
           caches: caches_, workers: regs.map((r) => r.scope) };
}"""


def storage(page) -> dict:
    return page.evaluate(STORAGE)


SETTLED = """() => {
  const maps = window.gisappBaseMaps || [];
  const wanted = document.getElementById('gisapp-basemap')
    ? document.querySelectorAll('.leaflet-container').length : 0;
  return maps.length >= wanted && maps.every((l) => {
    const m = l.getMaplibreMap && l.getMaplibreMap();
    return m && m.loaded() && m.areTilesLoaded(); }) ? 'idle' : '';
}"""


def settle_base_map(page) -> None:
    """Wait until the base map has every tile of its view: MapLibre cancels the tiles it no
    longer needs when the view moves or the page is left, which is not a failure of ours."""
    wait_for_summary(page, SETTLED, lambda s: s == "idle")


# MapLibre cancels the base-map tiles it no longer needs when the view moves (the field
# page frames the worker and the households once it knows where they are) or the page is
# left; Chromium reports each as net::ERR_ABORTED. Cancelled, not failed: nothing else.
TILE_CANCELLED = r"request failed: GET \S+/tiles/base/\d+/\d+/\d+\.pbf \(net::ERR_ABORTED\)"


def allow_tile_cancels(page) -> None:
    page.expect_problem(TILE_CANCELLED)
