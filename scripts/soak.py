"""A mixed, bounded soak test (run through scripts/soak [--minutes N]).

Holds 1,000 SSE clients on /api/events while a steady ~200 requests/s of lookups, tile
requests, case reports and (when the app has them) visit logs run for N minutes against
the production server (gunicorn as scripts/serve starts it), on the city-scale demo
(`--scale district` for a quick run) in a cluster of its own under var/soak-pg-<scale>,
loaded on first use and reused. (Not scripts/bench's cluster: a bench run stops its
cluster when it ends, which would be an outage in the middle of the soak.)

It reports, and fails (exit 1) unless:
- no request failed (every answer 2xx or 304, no timeout, no dropped stream);
- every case the soak created reached every SSE client exactly once (correlated by case
  id and event id), and no client was told to resync;
- the server's memory (RSS of gunicorn's master and workers) grew less than 10% after
  warm-up;
- the server kept up: at least 90% of the target rate was sent (a send waits while
  MAX_IN_FLIGHT requests are outstanding, so a slow server lowers the achieved rate).
Latency percentiles per minute and kind are printed as one table and written, with
everything else, to var/bench/soak-<time>.json. All traffic goes to 127.0.0.1, and every
loop is bounded in time; the cases and visits it created are deleted at the end.
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The command line (parsed before anything else is imported: --help changes nothing)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=1000, help="SSE clients (default 1000)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second in all")
    parser.add_argument("--cases-per-s", type=float, default=1.0,
                        help="case reports per second, and as many visits (1/s is ~86,000 a "
                             "day, far above a city's; each case is an event on every stream)")
    parser.add_argument("--keep", action="store_true", help="keep the cases and visits created")
    parser.add_argument("--scale", choices=["city", "district"], default="city",
                        help="the demo to load (city: ~5 min the first time)")
    return parser


if __name__ == "__main__":
    # Before the imports below, which need the venv: `--help` works and exits without them.
    ARGS = build_parser().parse_args()

import asyncio
import json
import os
import random
import re
import resource
import subprocess
import time
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from gisapp import create_app  # noqa: E402
from gisapp.accounts import auth
from gisapp.db import apply_schema, make_engine  # noqa: E402
from gisapp.demo.pgcluster import Cluster  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
HTTP_PORT = int(os.environ.get("GISAPP_SOAK_PORT", "5065"))
SOAK_PG_PORT = int(os.environ.get("GISAPP_SOAK_PG_PORT", "54349"))
DRAIN_SECONDS = 8.0
MAX_IN_FLIGHT = 64
CASE_ID = re.compile(rb'"case": \{"id": (\d+)')


# --- the database and the server ----------------------------------------------------------

def open_database(scale: str) -> tuple[Cluster, bool]:
    """The soak's own cluster (var/soak-pg-<scale>), with the demo loaded once; and whether
    we started it. Never scripts/bench's cluster: a bench run stops it when it ends."""
    cluster = Cluster(ROOT / "var" / f"soak-pg-{scale}", SOAK_PG_PORT + (scale == "city"))
    started = not cluster.running()
    cluster.start()
    eng = make_engine(cluster.url)
    apply_schema(eng, ROOT / "sql")
    with eng.connect() as conn:
        microgrids = conn.execute(text("SELECT count(*) FROM area WHERE level = 5")).scalar()
    eng.dispose()
    if scale == "city" and 0 < microgrids < 30_000:
        sys.exit(f"{cluster.datadir} holds a partial city ({microgrids} micro-grids): remove it")
    if microgrids == 0:
        print(f"loading the {scale}-scale demo (once; reused by later runs)...", file=sys.stderr)
        env = dict(os.environ, GISAPP_DATABASE_URL=cluster.url)
        subprocess.run([str(ROOT / ".venv/bin/gisapp"), "demo", "--scale", scale], env=env,
                       check=True, stdout=subprocess.DEVNULL)
    return cluster, started


class Server:
    """gunicorn started as scripts/serve starts it (its config, two workers)."""

    def __init__(self, url: str, log: Path):
        self.url, self.log, self.proc = url, log, None

    def __enter__(self):
        env = dict(os.environ, GISAPP_DATABASE_URL=self.url,
                   GISAPP_PHOTO_DIR=str(ROOT / "var" / "soak-photos"),
                   GISAPP_TILE_CACHE_DIR=str(ROOT / "var" / "soak-tile-cache"))
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--config", str(ROOT / "gisapp/gunicorn_conf.py"),
             "--bind", f"127.0.0.1:{HTTP_PORT}", "--workers", "2", "gisapp:create_app()"],
            env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
        _wait_http(f"http://127.0.0.1:{HTTP_PORT}/healthz", self.proc)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def rss_mb(self) -> float:
        """Resident memory of the master and its workers, in MB."""
        pids = [self.proc.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
                     .read_text().split()]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _ticks(pids: list[int]) -> int:
    """CPU time (user + system, clock ticks) used so far by these processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total


def cpu_snapshot(server_pid: int, cluster: Cluster) -> dict:
    """Where the machine's CPU has gone: ours (server, database, this client) and the rest."""
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    idle = int(cpu[3]) + int(cpu[4])
    postmaster = int((cluster.datadir / "data" / "postmaster.pid").read_text().split()[0])
    return {"machine": sum(int(v) for v in cpu[:8]) - idle,
            "capacity": sum(int(v) for v in cpu[:8]),
            "server": _ticks([server_pid, *_children(server_pid)]),
            "database": _ticks([postmaster, *_children(postmaster)]),
            "client": _ticks([os.getpid()])}


def cpu_shares(before: dict, after: dict) -> dict:
    """Each part's share of the machine's capacity (all cores) over the run, in %."""
    span = after["capacity"] - before["capacity"] or 1
    used = {k: after[k] - before[k] for k in ("machine", "server", "database", "client")}
    used["other processes"] = max(
        0, used["machine"] - used["server"] - used["database"] - used["client"])
    return {k: round(v / span * 100, 1) for k, v in used.items()}


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.5)


# --- what the load needs from the database ------------------------------------------------

def prepare(url: str, has_visits: bool) -> dict:
    """Tokens (a wall viewer for the streams, an admin for reports, a grid worker for
    visits), sample points, tile paths and the grid worker's households."""
    eng = make_engine(url)
    with eng.begin() as conn:
        tokens = {"wall": _token(conn, "soak.wall", "wall_viewer"),
                  "admin": _token(conn, "soak.admin", "city_admin")}
        points = conn.execute(text("""SELECT ST_X(geom), ST_Y(geom) FROM household
                                      TABLESAMPLE SYSTEM (5) LIMIT 5000""")).all()
        visit = _visit_setup(conn) if has_visits else None
        if visit:
            tokens["worker"] = visit.pop("token")
    eng.dispose()
    from gisapp.tiles.bench import tile_urls
    bbox = (min(p[0] for p in points), min(p[1] for p in points),
            max(p[0] for p in points), max(p[1] for p in points))
    tiles = [u.replace("http://x", "") for u in tile_urls("http://x", zooms=range(10, 17),
                                                          bbox=bbox, per_zoom=60)]
    return {"tokens": tokens, "points": [tuple(p) for p in points], "tiles": tiles, "visit": visit}


def _token(conn, username: str, role: str, person: int | None = None) -> str:
    exists = conn.execute(text("SELECT 1 FROM app_user WHERE username = :u"),
                          {"u": username}).first()
    if not exists:
        auth.add_user(conn, username, uuid.uuid4().hex, role, person_id=person)
    return auth.issue_token(conn, username, days=1, label="soak")


def _visit_setup(conn) -> dict | None:
    """A grid worker with households in their grid, and a visit outcome."""
    row = conn.execute(text("""
        SELECT d.person_id, a.code FROM duty d JOIN area a ON a.id = d.area_id
        WHERE d.role = 'grid_worker' AND d.ends_on IS NULL AND a.retired_at IS NULL
          AND EXISTS (SELECT 1 FROM household h JOIN area m ON m.id = h.area_id
                      WHERE m.code LIKE a.code || '%')
        ORDER BY d.id LIMIT 1""")).first()
    if row is None:
        return None
    households = conn.execute(text("""SELECT h.id FROM household h JOIN area m ON m.id = h.area_id
                                      WHERE m.code LIKE :c || '%' ORDER BY h.id LIMIT 500"""),
                              {"c": row.code}).scalars().all()
    outcome = conn.execute(text("SELECT key FROM visit_outcome ORDER BY key LIMIT 1")).scalar()
    return {"token": _token(conn, "soak.gridworker", "grid_worker", row.person_id),
            "households": households, "outcome": outcome}


def cleanup(url: str, run: str) -> dict:
    """Delete the cases and visits this run created (the bench city is shared)."""
    eng = make_engine(url)
    like = f"soak-{run}-%"
    with eng.begin() as conn:
        out = {}
        if conn.execute(text("SELECT to_regclass('visit') IS NOT NULL")).scalar():
            out["visits"] = conn.execute(text("DELETE FROM visit WHERE client_id LIKE :l"),
                                         {"l": like}).rowcount
        ids = conn.execute(text("SELECT id FROM case_file WHERE client_id LIKE :l"),
                           {"l": like}).scalars().all()
        conn.execute(text("DELETE FROM case_event WHERE case_id = ANY(:ids)"), {"ids": ids})
        conn.execute(text("DELETE FROM case_photo WHERE case_id = ANY(:ids)"), {"ids": ids})
        # Other cases may have been marked as possible duplicates of ours.
        conn.execute(text("""UPDATE case_file SET duplicate_of = ARRAY(
                                 SELECT unnest(duplicate_of) EXCEPT """
                          """SELECT unnest(CAST(:ids AS bigint[])))
                             WHERE duplicate_of && CAST(:ids AS bigint[]) """
                          """AND NOT id = ANY(:ids)"""),
                     {"ids": ids})
        out["cases"] = conn.execute(text("DELETE FROM case_file WHERE id = ANY(:ids)"),
                                    {"ids": ids}).rowcount
    eng.dispose()
    return out


# --- SSE clients ----------------------------------------------------------------------------

class Stream:
    """One /api/events client on a raw socket: every event id and case id it reads."""

    def __init__(self, token: str):
        self.token = token
        self.ids: list[int] = []
        self.cases: dict[int, int] = defaultdict(int)
        self.resyncs = 0
        self.drops = 0
        self.ready = asyncio.Event()
        self.stopping = False

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self._once()
            except (OSError, asyncio.IncompleteReadError, ValueError):
                pass
            if not self.stopping:
                self.drops += 1
                await asyncio.sleep(1.0)

    async def _once(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", HTTP_PORT, limit=2**20)
        last = f"Last-Event-ID: {self.ids[-1]}\r\n" if self.ids else ""
        writer.write((f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: "
                      f"text/event-stream\r\n"
                      f"Authorization: Bearer {self.token}\r\n{last}\r\n").encode())
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise ValueError(head[:40])
            await self._read(reader, b"chunked" in head.lower())
        finally:
            writer.close()

    async def _read(self, reader, chunked: bool) -> None:
        buf, event_id, kind = b"", None, None
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
                if line.startswith(b"id:"):
                    event_id = int(line[3:])
                elif line.startswith(b"event:"):
                    kind = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    self._note(event_id, kind, line[5:])
                    event_id, kind = None, None

    def _note(self, event_id: int | None, kind: str | None, payload: bytes) -> None:
        if event_id is not None:
            self.ids.append(event_id)
        if kind == "resync":
            self.resyncs += 1
        elif kind == "case":
            # The case id is the first field of "case" (gisapp.live.hub.CASE_FIELDS); a regex
            # keeps 1,000 clients' parsing off the CPU the server needs.
            found = CASE_ID.search(payload)
            case_id = int(found[1]) if found else (json.loads(payload).get("case") or {}).get("id")
            if case_id is not None:
                self.cases[int(case_id)] += 1


# --- the request mix ------------------------------------------------------------------------

class Load:
    """Open-loop traffic: each kind at its own steady rate, at most MAX_IN_FLIGHT at once."""

    def __init__(self, session, prep: dict, run: str, rates: dict[str, float]):
        self.session, self.prep, self.run, self.rates = session, prep, run, rates
        self.records: list[tuple[float, str, float, bool]] = []   # (sent at, kind, ms, ok)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.created_cases: dict[int, float] = {}
        self.visits = 0
        self.late = 0
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._n = 0
        self._rng = random.Random(9)

    async def drive(self, seconds: float, t0: float) -> None:
        await asyncio.gather(*(self._kind(kind, rate, seconds, t0)
                               for kind, rate in self.rates.items() if rate > 0))

    async def _kind(self, kind: str, rate: float, seconds: float, t0: float) -> None:
        """Send at a steady rate. A send waits for a free slot (at most MAX_IN_FLIGHT in
        flight), and slots missed while the server was behind are skipped, not sent in a
        burst later: the load never exceeds the target rate."""
        interval, pending = 1.0 / rate, set()
        due = t0
        while due - t0 < seconds:
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            elif now - due > interval:
                missed = int((now - due) / interval)
                self.late += missed
                due += missed * interval
            await self._slots.acquire()
            task = asyncio.create_task(self._one(kind, t0))
            pending.add(task)
            task.add_done_callback(pending.discard)
            due += interval
        await asyncio.gather(*pending)

    async def _one(self, kind: str, t0: float) -> None:
        try:
            await self._send(kind, t0)
        finally:
            self._slots.release()

    async def _send(self, kind: str, t0: float) -> None:
        method, path, body, token = self._request(kind)
        started = time.monotonic()
        ok, detail = False, ""
        try:
            async with self.session.request(method, f"http://127.0.0.1:{HTTP_PORT}{path}",
                                            json=body,
                                            headers={"Authorization": f"Bearer {token}"}) as resp:
                payload = await resp.read()
                ok = resp.status in (200, 201, 304)
                detail = f"{resp.status} {payload[:120]!r}"
                if ok and kind == "case":
                    self.created_cases[json.loads(payload)["case"]["id"]] = started
                if ok and kind == "visit":
                    self.visits += 1
        except Exception as exc:  # noqa: BLE001 - any failure is an error to report
            detail = repr(exc)[:160]
        ms = (time.monotonic() - started) * 1000
        self.records.append((started - t0, kind, ms, ok))
        if not ok:
            self.errors[kind] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind} {method} {path}: {detail}")

    def _request(self, kind: str) -> tuple[str, str, dict | None, str]:
        tokens, rng = self.prep["tokens"], self._rng
        lng, lat = rng.choice(self.prep["points"])
        if kind == "lookup":
            return "GET", f"/api/locate?lng={lng:.6f}&lat={lat:.6f}", None, tokens["wall"]
        if kind == "tile":
            return "GET", rng.choice(self.prep["tiles"]), None, tokens["wall"]
        self._n += 1
        cid = f"soak-{self.run}-{kind}-{self._n}"
        if kind == "case":
            return "POST", "/api/cases", {
                "kind": "hazard", "category": "fire_exit", "description": "压测：消防通道堵塞",
                "client_id": cid,
                "location": {"lng": lng + rng.uniform(-1e-3, 1e-3),
                             "lat": lat + rng.uniform(-1e-3, 1e-3)}}, tokens["admin"]
        visit = self.prep["visit"]
        return "POST", "/api/visits", {"household_id": rng.choice(visit["households"]),
                                       "outcome": visit["outcome"], "note": "压测走访",
                                       "client_id": cid}, tokens["worker"]


# --- the run ----------------------------------------------------------------------------------

async def soak(prep: dict, server: Server, cluster: Cluster, args, run: str) -> dict:
    import aiohttp
    streams = [Stream(prep["tokens"]["wall"]) for _ in range(args.clients)]
    tasks = []
    for s in streams:
        tasks.append(asyncio.create_task(s.run()))
        await asyncio.sleep(0.003)                      # don't stampede the accept queue
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), 120)
    await asyncio.sleep(1.0)
    rates = _rates(args.rate, prep["visit"] is not None, args.cases_per_s)
    memory: list[tuple[float, float]] = []
    seconds = args.minutes * 60
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        load = Load(session, prep, run, rates)
        t0 = time.monotonic()
        cpu_before = cpu_snapshot(server.proc.pid, cluster)
        sampler = asyncio.create_task(_sample_memory(server, memory, t0, seconds + DRAIN_SECONDS))
        await load.drive(seconds, t0)
        cpu = cpu_shares(cpu_before, cpu_snapshot(server.proc.pid, cluster))
        await asyncio.sleep(DRAIN_SECONDS)              # let the last events arrive
        await sampler
    for s in streams:
        s.stopping = True
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"load": load, "streams": streams, "memory": memory, "rates": rates, "seconds": seconds,
            "cpu": cpu}


def _rates(total: float, visits: bool, cases: float) -> dict[str, float]:
    # Every case is an event on every stream (1,000 renders per case), so cases are few.
    rest = total - cases - (cases if visits else 0)
    return {"lookup": rest * 0.6, "tile": rest * 0.4, "case": cases,
            "visit": cases if visits else 0.0}


async def _sample_memory(server: Server, out: list, t0: float, seconds: float) -> None:
    while time.monotonic() - t0 < seconds:
        out.append((time.monotonic() - t0, server.rss_mb()))
        await asyncio.sleep(5.0)


# --- the report --------------------------------------------------------------------------------

def pct(values, p) -> float | None:
    return round(float(np.percentile(values, p)), 1) if len(values) else None


def per_minute(records, seconds: float) -> list[dict]:
    rows = []
    groups = defaultdict(list)
    for at, kind, ms, ok in records:
        minute = int(min(at, seconds - 0.001) // 60)
        groups[(minute, kind)].append((ms, ok))
        groups[(minute, "all")].append((ms, ok))
    for (minute, kind), items in sorted(groups.items()):
        ms = [m for m, _ in items]
        rows.append({"minute": minute + 1, "kind": kind, "requests": len(items),
                     "per_s": round(len(items) / min(60.0, seconds - minute * 60), 1),
                     "errors": sum(not ok for _, ok in items),
                     "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99),
                     "max_ms": round(max(ms), 1)})
    return rows


def sse_check(streams: list[Stream], created: dict[int, float]) -> dict:
    """Each case created must be seen exactly once by every client; ids strictly increase."""
    lost = doubled = foreign = 0
    for s in streams:
        for case_id in created:
            n = s.cases.get(case_id, 0)
            lost += n == 0
            doubled += n > 1
        foreign += sum(1 for a, b in zip(s.ids, s.ids[1:]) if b <= a)
    return {"clients": len(streams), "cases": len(created),
            "deliveries_expected": len(streams) * len(created),
            "deliveries": sum(sum(s.cases.get(c, 0) for c in created) for s in streams),
            "lost": lost, "doubled": doubled, "ids_not_increasing": foreign,
            "resyncs": sum(s.resyncs for s in streams),
            "dropped_streams": sum(s.drops for s in streams)}


def memory_check(samples: list[tuple[float, float]], warmup: float) -> dict:
    after = [mb for t, mb in samples if t >= warmup]
    warm = [mb for t, mb in samples if warmup - 30 <= t < warmup] or after[:1]
    base, end = float(np.median(warm)), float(np.median(after[-6:]))
    return {"warmup_s": warmup, "rss_after_warmup_mb": round(base, 1), "rss_end_mb": round(end, 1),
            "rss_max_mb": round(max(after), 1), "growth_pct": round((end - base) / base * 100, 1),
            "samples": [(round(t), round(mb, 1)) for t, mb in samples]}


def print_report(result: dict) -> None:
    print(f"\n== soak: {result['scale']} scale, {result['minutes']} min, "
          f"{result['sse']['clients']} SSE clients, target {result['target_rps']}/s "
          f"({', '.join(f'{k} {v:g}/s' for k, v in result['rates'].items() if v)}) ==")
    print(f"{'min':>3} {'kind':<7} {'requests':>8} {'per_s':>6} {'errors':>6} {'p50_ms':>7} "
          f"{'p95_ms':>7} {'p99_ms':>7} {'max_ms':>7}")
    for r in result["per_minute"]:
        print(f"{r['minute']:>3} {r['kind']:<7} {r['requests']:>8} {r['per_s']:>6} "
              f"{r['errors']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['p99_ms']:>7} "
              f"{r['max_ms']:>7}")
    s, m = result["sse"], result["memory"]
    print(f"errors: {result['errors']}  (sends skipped while the server was behind: "
          f"{result['late_sends']}; achieved {result['achieved_rps']}/s of "
          f"{result['target_rps']}/s)")
    for line in result["error_samples"]:
        print(f"  e.g. {line}")
    print(f"SSE: {s['deliveries']}/{s['deliveries_expected']} case events delivered; "
          f"lost {s['lost']}, doubled {s['doubled']}, "
          f"ids not increasing {s['ids_not_increasing']}, resyncs {s['resyncs']}, "
          f"dropped streams {s['dropped_streams']}")
    print(f"memory (gunicorn master + workers): {m['rss_after_warmup_mb']} MB after warm-up -> "
          f"{m['rss_end_mb']} MB at the end ({m['growth_pct']:+}%), max {m['rss_max_mb']} MB")
    cpu = result["cpu_percent_of_machine"]
    print(f"CPU over the run, % of all {result['cores']} cores: "
          + ", ".join(f"{k} {v}" for k, v in cpu.items()))
    print(f"verdict: {'PASS' if result['passed'] else 'FAIL'}")


def main() -> int:
    args = ARGS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # more open files for the client, and for the server it starts
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    cluster, started = open_database(args.scale)
    scale = args.scale
    run = uuid.uuid4().hex[:8]
    try:
        app = create_app({"DATABASE_URL": cluster.url})
        has_visits = any(r.rule == "/api/visits" and "POST" in r.methods
                         for r in app.url_map.iter_rules())
        app.extensions["gisapp_engine"].dispose()
        prep = prepare(cluster.url, has_visits)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        with Server(cluster.url, BENCH_DIR / f"soak-{stamp}.log") as server:
            raw = asyncio.run(soak(prep, server, cluster, args, run))
        if not args.keep:
            try:
                removed = cleanup(cluster.url, run)
                print(f"removed what the soak created: {removed}", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - the figures matter more than the tidy-up
                print(f"could not remove the soak's cases: {exc}", file=sys.stderr)
    finally:
        if started:
            cluster.stop()
    result = summarise(raw, args, scale)
    print_report(result)
    out = BENCH_DIR / f"soak-{stamp}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"figures written to {out.relative_to(ROOT)}")
    return 0 if result["passed"] else 1


def summarise(raw: dict, args, scale: str) -> dict:
    load = raw["load"]
    warmup = min(60.0, raw["seconds"] * 0.4)
    sse = sse_check(raw["streams"], load.created_cases)
    memory = memory_check(raw["memory"], warmup)
    errors = dict(load.errors)
    achieved = len(load.records) / raw["seconds"]
    passed = (not errors and achieved >= 0.9 * args.rate and sse["lost"] == 0
              and sse["doubled"] == 0 and sse["resyncs"] == 0
              and sse["ids_not_increasing"] == 0 and sse["dropped_streams"] == 0
              and memory["growth_pct"] < 10 and sse["cases"] > 0)
    return {"scale": scale, "minutes": args.minutes, "target_rps": args.rate, "rates": raw["rates"],
            "requests": len(load.records), "errors": errors, "error_samples": load.error_samples,
            "late_sends": load.late, "achieved_rps": round(len(load.records) / raw["seconds"], 1),
            "visits_logged": load.visits, "per_minute": per_minute(load.records, raw["seconds"]),
            "sse": sse, "memory": memory, "cpu_percent_of_machine": raw["cpu"],
            "cores": os.cpu_count(), "passed": passed}


if __name__ == "__main__":
    sys.exit(main())
