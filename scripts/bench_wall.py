"""Map-wall benchmarks (scripts/bench tiles|live): vector tiles and live event latency.

Imported by scripts/bench.py, which owns the city database, the server and the table.

tiles: every layer at zooms 8-18 over the city (a deterministic sample per zoom, see
gisapp/tiles/bench.py), first from a server whose caches are off (every request builds
the tile in PostGIS), then from a server with its caches warmed; both against the
trivial /api/ping of the same server in the same run.

live: N SSE clients on /api/events (raw asyncio sockets, so the client is cheap), then
cases posted over HTTP one at a time; for each case, the time from just before its
POST is sent to the moment each client has read the event. That is an upper bound of
commit-to-delivery: it also contains the POST's own work before the commit.
"""
from __future__ import annotations

import asyncio
import json
import resource
import statistics
import time
import urllib.request
from pathlib import Path

import numpy as np


def percentile(values: list[float], p: float) -> float:
    return round(float(np.percentile(values, p)), 2) if values else float("nan")


# --- tiles --------------------------------------------------------------------------------

def fetch_all(base: str, paths: list[str], token: str) -> tuple[list[float], dict]:
    """GET each path once, sequentially; latencies (ms) and the largest tile per layer."""
    times, biggest = [], {}
    for path in paths:
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        started = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = resp.read()
        times.append((time.perf_counter() - started) * 1000)
        layer = path.split("/")[2]
        biggest[layer] = max(biggest.get(layer, 0), len(body))
    return times, biggest


def tile_paths(per_zoom: int) -> list[str]:
    from gisapp.tiles.bench import tile_urls
    return [u.replace("http://x", "") for u in tile_urls("http://x", per_zoom=per_zoom)]


def bench_tiles(bench, url: str) -> list[dict]:
    """Uncached and cached tiles, and the largest tile of each layer."""
    token = bench.bench_token(url, "wall_viewer")
    paths = tile_paths(per_zoom=25)
    paths_file = bench.BENCH_DIR / "tile-paths.txt"
    paths_file.write_text("".join(p + "\n" for p in paths))
    base = f"http://127.0.0.1:{bench.HTTP_PORT}"
    rows = []
    uncached_env = {"GISAPP_TILE_MEMORY_ENTRIES": "0", "GISAPP_TILE_CACHE_DIR": ""}
    with bench.Server(url, env=uncached_env):
        times, biggest = fetch_all(base, paths, token)
    rows.append({"operation": f"tile, uncached, one at a time ({len(paths)} tiles, 9 layers, z8-18)",
                 "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
                 "p99_ms": percentile(times, 99), "max_ms": round(max(times), 1),
                 "largest_kb": round(max(biggest.values()) / 1024, 1)})
    for layer, size in sorted(biggest.items()):
        rows.append({"operation": f"  largest {layer} tile", "kb": round(size / 1024, 1)})
    with bench.Server(url, env={"GISAPP_TILE_CACHE_DIR": str(bench.BENCH_DIR / "tile-cache")}):
        fetch_all(base, paths, token)                          # warm every tile once
        tiles = {"path": "/tiles", "script": bench.ROOT / "scripts/wrk_paths.lua",
                 "env": {"GISAPP_PATHS": str(paths_file), "GISAPP_TOKEN": token}}
        # At 16 connections the p99 must stay within 2x ping's (issue 17: it was 11x,
        # every cached tile yielded to gevent's hub; docs/wall.md, "The 16-connection tail").
        ping, cached = bench.wrk_versus({"path": "/api/ping"}, tiles)
        rows.append(bench._row("ping (trivial JSON)", ping, None))
        rows.append(bench._row(f"GET /tiles/... cached ({len(paths)} tiles), 16 connections",
                               cached, ping))
        # Latency without a queue: two connections for two workers. At 16 connections
        # the percentiles measure waiting behind other requests (and the OS scheduler
        # sharing two cores with wrk), for ping just as much as for tiles.
        ping2, cached2 = bench.wrk_versus({"path": "/api/ping", "connections": 2},
                                          {**tiles, "connections": 2}, rounds=3)
        rows.append(bench._row("ping, 2 connections", ping2, None))
        rows.append(bench._row("GET /tiles/... cached, 2 connections", cached2, ping2))
    with bench.Server(url, env=uncached_env):
        uncached_wrk = bench.wrk("/tiles", script=bench.ROOT / "scripts/wrk_paths.lua",
                                 connections=4, env={"GISAPP_PATHS": str(paths_file),
                                                     "GISAPP_TOKEN": token})
    rows.append(bench._row("GET /tiles/... uncached, 4 connections", uncached_wrk, ping))
    return rows


# --- live events ---------------------------------------------------------------------------

class SSEClient:
    """One /api/events stream read over a raw socket; records when each case id arrives."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.seen: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**20)
        writer.write((f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        try:
            await self._read(reader)
        finally:
            writer.close()

    async def _read(self, reader) -> None:
        """Undo chunked transfer encoding, then split the stream into lines."""
        head = await reader.readuntil(b"\r\n\r\n")
        chunked = b"chunked" in head.lower()
        buf = b""
        while True:
            if chunked:
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    return
                buf += await reader.readexactly(size)
                await reader.readline()
            else:
                part = await reader.read(65536)
                if not part:
                    return
                buf += part
            self.ready.set()
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line.startswith(b"data:") and b'"case"' in line:
                    self._note(line[5:])

    def _note(self, payload: bytes) -> None:
        now = time.perf_counter()
        try:
            data = json.loads(payload)
        except ValueError:
            return
        case = data.get("case") or {}
        if "id" in case:
            self.seen.setdefault(int(case["id"]), now)


def _post_case(port: int, token: str, lng: float, lat: float) -> int:
    body = json.dumps({"kind": "hazard", "category": "fire_exit", "description": "基准测试",
                       "location": {"lng": lng, "lat": lat}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/cases", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return int(json.loads(resp.read())["case"]["id"])


async def _live(port: int, wall_token: str, worker_token: str, points, clients: int,
                events: int) -> dict:
    loop = asyncio.get_running_loop()
    subs = [SSEClient(port, wall_token) for _ in range(clients)]
    for s in subs:
        s.task = asyncio.create_task(s.run())
        await asyncio.sleep(0.002)                   # don't stampede the accept queue
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 60)
    await asyncio.sleep(1.0)
    latencies, missing, sent = [], 0, []
    for lng, lat in points[:events]:
        started = time.perf_counter()
        case_id = await loop.run_in_executor(None, _post_case, port, worker_token, lng, lat)
        sent.append((case_id, started))
        await asyncio.sleep(0.25)
    await asyncio.sleep(2.0)
    for case_id, started in sent:
        for s in subs:
            at = s.seen.get(case_id)
            if at is None:
                missing += 1
            else:
                latencies.append((at - started) * 1000)
    for s in subs:
        s.task.cancel()
    await asyncio.gather(*(s.task for s in subs), return_exceptions=True)
    return {"latencies": latencies, "missing": missing, "expected": len(sent) * clients}


def bench_live(bench, url: str, clients: int = 1000, events: int = 40) -> list[dict]:
    """Event latency from a case's POST to its delivery on `clients` open streams."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    wall = bench.bench_token(url, "wall_viewer")
    worker = bench.bench_token(url, "city_admin")
    app = bench.create_app({"DATABASE_URL": url})
    pts = bench.land_points(app, events, seed=7)
    with bench.Server(url):
        result = asyncio.run(_live(bench.HTTP_PORT, wall, worker, pts.tolist(), clients, events))
    lat = result["latencies"]
    return [{"operation": f"case POST -> SSE delivery, {clients} clients, {events} cases",
             "deliveries": len(lat), "missing": result["missing"],
             "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
             "p99_ms": percentile(lat, 99), "max_ms": round(max(lat), 1) if lat else None,
             "mean_ms": round(statistics.fmean(lat), 1) if lat else None}]


# --- the wall's cold start --------------------------------------------------------------------

WALL_USER, WALL_PASSWORD = "bench.wallpage", "bench-password-1"
IDLE = """() => new Promise((done) => {
    const ready = () => document.getElementById('wall').dataset.ready === '1' && window.gisappWall.map;
    const check = () => {
        if (!ready()) return setTimeout(check, 20);
        const map = window.gisappWall.map;
        if (map.loaded() && map.areTilesLoaded()) return done(performance.now());
        map.once('idle', check);
    };
    check(); })"""


BUSIEST = """() => {
    const map = window.gisappWall.map;
    const layers = ['case-areas-label', 'case-clusters', 'case-points'].filter((id) => map.getLayer(id));
    const n = (f) => f.properties.cases || f.properties.count || 1;
    const best = map.queryRenderedFeatures({layers}).filter((f) => f.geometry.type === 'Point')
        .sort((a, b) => n(b) - n(a))[0];
    return best ? best.geometry.coordinates : map.getCenter().toArray(); }"""


def _wall_user(bench, url: str) -> None:
    from gisapp.accounts import auth
    eng = bench.make_engine(url)
    with eng.begin() as conn:
        if not conn.execute(bench.text("SELECT 1 FROM app_user WHERE username = :u"),
                            {"u": WALL_USER}).first():
            auth.add_user(conn, WALL_USER, WALL_PASSWORD, "wall_viewer")
    eng.dispose()


def _open_wall(browser, base: str, shots: str | None) -> dict:
    """A fresh browser (no cache) opens /wall at 1920x1080: when the city is drawn."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login?next=/")
    page.fill("input[name=username]", WALL_USER)
    page.fill("input[name=password]", WALL_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    tiles, last = [], [0.0]
    started = time.perf_counter()

    def finished(req):
        if "/tiles/" in req.url:
            tiles.append(req.url)
            last[0] = time.perf_counter() - started
    context.on("requestfinished", finished)
    page.goto(f"{base}/wall")
    drawn_ms = page.evaluate(IDLE)
    out = {"drawn_ms": round(drawn_ms), "last_tile_ms": round(last[0] * 1000), "tiles": len(tiles)}
    if shots:
        _screens(page, shots)
    context.close()
    return out


def _screens(page, name: str) -> None:
    from tests.browser import SCREENS
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}-city.png"))
    for zoom in (13.5, 15.3, 16.2):
        centre = page.evaluate(BUSIEST)             # where the most open cases are in view
        page.evaluate("([c, z]) => window.gisappWall.map.jumpTo({center: c, zoom: z})", [centre, zoom])
        page.wait_for_timeout(200)
        page.evaluate(IDLE)
        page.screenshot(path=str(SCREENS / f"{name}-z{int(zoom)}.png"))


def bench_cold(bench, url: str) -> list[dict]:
    """The wall opened by a fresh browser against a freshly started server: first with an
    empty tile cache, then after `gisapp tiles warm` rendered the overview tiles."""
    import subprocess
    import tempfile

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS
    _wall_user(bench, url)
    base = f"http://127.0.0.1:{bench.HTTP_PORT}"
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for warm in (False, True):
            env = {"GISAPP_TILE_CACHE_DIR": tempfile.mkdtemp(prefix="gisapp-bench-tiles-")}
            if warm:
                started = time.perf_counter()
                subprocess.run([str(bench.ROOT / ".venv/bin/gisapp"), "tiles", "warm"], check=True,
                               env={**bench.os.environ, "GISAPP_DATABASE_URL": url, **env})
                rows.append({"operation": "gisapp tiles warm (overview z8-13)",
                             "seconds": round(time.perf_counter() - started, 1)})
            with bench.Server(url, env=env):
                got = _open_wall(browser, base, "wall-bench" if warm else None)
            label = "after tiles warm" if warm else "tile cache empty"
            rows.append({"operation": f"wall cold start, fresh server, {label}", **got})
        browser.close()
    return rows
