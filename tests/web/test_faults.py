"""Faults against the real production stack: gunicorn (gevent workers, as scripts/serve
runs it) on a PostGIS cluster of its own, so stopping the database here disturbs no other
test. The tiny city (tests/tiny_city.py) is the data.

- the database restarts under load: 503 with Retry-After, never 500 or a hang, recovery
  within seconds, and every submission with a client id stored exactly once after retry;
- a worker SIGKILLed in the middle of a case report, a visit, or a boundary save: nothing
  half-written remains;
- the photo disk is full (a real 256 kB tmpfs, when run as root): 507, no case without
  its photo, no stray partial file;
- a boundary save's transaction killed: the old boundaries stay whole and valid.

A request is caught "in the middle" deterministically: the test holds a table lock the
request needs late in its transaction (after its first writes), waits until PostgreSQL
shows the request blocked on it, and only then kills.

scripts/faults runs this module with GISAPP_FAULTS_LONG=1: more submitters, a longer
outage and several restarts.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

from gisapp import create_app
from gisapp.accounts import auth
from gisapp.db import apply_schema, make_engine
from gisapp.demo.pgcluster import Cluster

from ..tiny_city import load_tiny_city, load_tiny_users

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("GISAPP_FAULTS_LONG") == "1"
SUBMITTERS = 8 if LONG else 3
OUTAGE_SECONDS = 10.0 if LONG else 3.0
RESTARTS = 3 if LONG else 1
HANG_LIMIT_S = 8.0          # connect_timeout 3 s + pool_timeout 5 s is the worst by design
RECOVERY_LIMIT_S = 10.0
COMMUNITY = "210204001001"
WEST_POINT = (121.5125, 38.9875)      # micro-grid 210204001001001001, the grid worker's
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    status: int            # 0: no HTTP answer at all (connection dropped, timeout)
    headers: dict
    body: dict
    seconds: float


@dataclass
class Stack:
    """The running server, its database and what the tests need to talk to them."""

    cluster: Cluster
    base: str
    engine: object
    tokens: dict
    photo_dir: Path
    log: Path
    master: subprocess.Popen
    tmpfs: bool
    routes: set = field(default_factory=set)

    def call(self, method: str, path: str, body=None, user: str | None = "grid_worker",
             timeout: float = 20.0, raw: bytes | None = None,
             ctype: str = "application/json") -> Answer:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        if user:
            req.add_header("Authorization", f"Bearer {self.tokens[user]}")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, headers, payload = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            status, headers, payload = exc.code, dict(exc.headers), exc.read()
        except (OSError, ValueError):        # reset, refused, timed out, bad status line
            return Answer(0, {}, {}, time.monotonic() - started)
        try:
            parsed = json.loads(payload) if payload else {}
        except ValueError:
            parsed = {"raw": payload[:200].decode("utf-8", "replace")}
        return Answer(status, headers, parsed, time.monotonic() - started)

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children").read_text()
        return [int(p) for p in children.split()]


def _start_gunicorn(url: str, port: int, photo_dir: Path, tmp: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, GISAPP_DATABASE_URL=url, GISAPP_PHOTO_DIR=str(photo_dir),
               GISAPP_TILE_CACHE_DIR=str(tmp / "tiles"))
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--config", str(ROOT / "gisapp/gunicorn_conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "gisapp:create_app()"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)


def _mount_tmpfs(path: Path) -> bool:
    """A real, tiny filesystem for photos (root only); False when not possible."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture(scope="module")
def stack():
    tmp = Path(tempfile.mkdtemp(prefix="gisapp-faults-"))
    cluster = Cluster(tmp / "pg", _free_port())
    cluster.start()
    engine = make_engine(cluster.url)
    apply_schema(engine, ROOT / "sql")
    load_tiny_city(engine)
    load_tiny_users(engine)
    with engine.begin() as conn:
        tokens = {u: auth.issue_token(conn, u, days=1) for u in ("grid_worker", "community_sup")}
    photo_dir = tmp / "photos"
    photo_dir.mkdir()
    tmpfs = _mount_tmpfs(photo_dir)
    log = tmp / "gunicorn.log"
    app = create_app({"DATABASE_URL": cluster.url})
    routes = {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods}
    app.extensions["gisapp_engine"].dispose()
    port = _free_port()
    master = _start_gunicorn(cluster.url, port, photo_dir, tmp, log)
    yield Stack(cluster, f"http://127.0.0.1:{port}", engine, tokens, photo_dir, log, master,
                tmpfs, routes)
    master.terminate()
    try:
        master.wait(20)
    except subprocess.TimeoutExpired:
        master.kill()
    engine.dispose()
    if tmpfs:
        subprocess.run(["umount", str(photo_dir)], check=False)
    cluster.stop("immediate")
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_tracebacks(stack):
    """Whatever a test does, the server never logs an unhandled exception."""
    start = stack.log.stat().st_size
    yield
    with stack.log.open("rb") as f:
        f.seek(start)
        tail = f.read().decode("utf-8", "replace")
    assert "Traceback" not in tail, tail[-3000:]


def case_body(client_id: str, point=WEST_POINT, category: str = "fire_exit") -> dict:
    return {"kind": "hazard", "category": category, "description": "消防通道被占 (fault test)",
            "client_id": client_id, "location": {"lng": point[0], "lat": point[1]}}


def visit_body(stack: Stack, client_id: str, open_case: bool = False) -> dict:
    hid = stack.scalar("""SELECT h.id FROM household h JOIN area a ON a.id = h.area_id
                          WHERE a.code = '210204001001001001' ORDER BY h.id LIMIT 1""")
    outcome = stack.call("GET", "/api/visits/outcomes").body["outcomes"][0]["key"]
    body = {"household_id": hid, "outcome": outcome, "note": "fault test", "client_id": client_id}
    if open_case:
        body["open_case"] = {"category": "fire_exit", "description": "visit opened a case"}
    return body


def has_visits(stack: Stack) -> bool:
    return "POST /api/visits" in stack.routes


# --- every pooled connection busy --------------------------------------------------------

def test_exhausted_pool_is_503_not_500(cluster, template_db):
    """Found by scripts/soak: a request that waits pool_timeout for a connection got 500."""
    from ..conftest import fresh_database
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database(cluster, template_db),
                      "DB_POOL_SIZE": 1})
    engine = app.extensions["gisapp_engine"]
    held = [engine.connect() for _ in range(3)]             # pool_size 1 + overflow 2
    try:
        resp = app.test_client().get("/api/areas?level=district")
        assert resp.status_code == 503, resp.get_data(as_text=True)
        assert resp.headers["Retry-After"] and resp.get_json()["error"] == "server_busy"
    finally:
        for conn in held:
            conn.close()
        engine.dispose()
    assert app.test_client().get("/api/areas?level=district").status_code == 200


# --- the database restarts under load ----------------------------------------------------

class Submitters:
    """Threads that report cases (and log visits, if the app has them) with client ids."""

    def __init__(self, stack: Stack, n: int):
        self.stack, self.n = stack, n
        # (kind, client id, answer, sent at)
        self.answers: list[tuple[str, str, Answer, float]] = []
        self.last: dict[tuple[str, str], Answer] = {}
        self.bodies: dict[tuple[str, str], dict] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._visit = visit_body(stack, "template-0") if has_visits(stack) else None
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                         for i in range(n)]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def _run(self, i: int) -> None:
        run = uuid.uuid4().hex[:8]
        k = 0
        while not self._stop.is_set():
            kind = "visit" if self._visit and k % 3 == 2 else "case"
            cid = f"restart-{run}-{i}-{k}"
            body = {**self._visit, "client_id": cid} if kind == "visit" else case_body(cid)
            sent = time.monotonic()
            answer = self.stack.call("POST", "/api/visits" if kind == "visit" else "/api/cases",
                                     body)
            with self._lock:
                self.answers.append((kind, cid, answer, sent))
                self.last[(kind, cid)] = answer
                self.bodies[(kind, cid)] = body
            k += 1
            time.sleep(0.05 if answer.status in (200, 201) else 0.2)


def _wait_recovered(subs: Submitters, since: float) -> float:
    deadline = time.monotonic() + RECOVERY_LIMIT_S + 5
    while time.monotonic() < deadline:
        ok = [sent for _, _, a, sent in list(subs.answers)
              if sent >= since and a.status in (200, 201)]
        if ok:
            return min(ok) - since
        time.sleep(0.1)
    return float("inf")


def _retry_unacknowledged(stack: Stack, subs: Submitters) -> int:
    """Send again, with the same client id, everything that got no 2xx answer."""
    pending = [key for key, a in subs.last.items() if a.status not in (200, 201)]
    for kind, cid in pending:
        for _ in range(20):
            a = stack.call("POST", "/api/visits" if kind == "visit" else "/api/cases",
                           subs.bodies[(kind, cid)])
            if a.status in (200, 201):
                break
            time.sleep(0.5)
        assert a.status in (200, 201), (kind, cid, a)
    return len(pending)


def test_database_restarts_mid_load(stack):
    with Submitters(stack, SUBMITTERS) as subs:
        recoveries, outages = [], []
        for _ in range(RESTARTS):
            time.sleep(1.5)
            down = time.monotonic()
            stack.cluster.stop("fast")
            probe = stack.call("GET", "/api/cases?limit=1")
            time.sleep(OUTAGE_SECONDS)
            stack.cluster.start()
            up = time.monotonic()
            outages.append((down, up))
            assert probe.status == 503 and probe.headers.get("Retry-After"), probe
            recoveries.append(_wait_recovered(subs, up))
        time.sleep(1.0)
    answers = subs.answers
    statuses = {a.status for _, _, a, _ in answers}
    assert statuses <= {200, 201, 503}, sorted(statuses)
    in_outage = [a for _, _, a, sent in answers if any(d <= sent < u for d, u in outages)]
    assert any(a.status == 503 for a in in_outage), "the outage was never seen"
    assert all(a.headers.get("Retry-After") for _, _, a, _ in answers if a.status == 503)
    assert max(a.seconds for _, _, a, _ in answers) < HANG_LIMIT_S
    assert max(recoveries) < RECOVERY_LIMIT_S, recoveries
    retried = _retry_unacknowledged(stack, subs)
    assert retried > 0
    _assert_exactly_once(stack, subs)
    kinds = sorted({k for k, _ in subs.last})
    print(f"restart: {RESTARTS} outage(s) of {OUTAGE_SECONDS:g}s, "
          f"{SUBMITTERS} submitters ({', '.join(kinds)}); "
          f"{len(answers)} submissions, {sum(a.status == 503 for _, _, a, _ in answers)} "
          f"answered 503 with Retry-After, 0 answered 500; "
          f"slowest answer {max(a.seconds for _, _, a, _ in answers):.2f}s; "
          f"first success {', '.join(f'{r:.2f}s' for r in recoveries)} "
          f"after the database was back; "
          f"{retried} retried with the same client id; {len(subs.last)} stored exactly once")


def _assert_exactly_once(stack: Stack, subs: Submitters) -> None:
    for kind, table in (("case", "case_file"), ("visit", "visit")):
        sent = {cid for k, cid in subs.last if k == kind}
        if not sent:
            continue
        with stack.engine.connect() as conn:
            # table: constant
            counts = dict(conn.execute(text(f"SELECT client_id, count(*) FROM {table} "
                                            "WHERE client_id = ANY(:ids) GROUP BY client_id"),
                                       {"ids": sorted(sent)}).all())
        assert set(counts) == sent, f"{kind}s lost: {sorted(sent - set(counts))[:5]}"
        assert set(counts.values()) == {1}, {c: n for c, n in counts.items() if n != 1}


# --- a worker killed in the middle of a request ------------------------------------------

class Blocker:
    """Hold a table lock in our own transaction, so a request needing it waits mid-way."""

    def __init__(self, stack: Stack, table: str):
        self.stack, self.table = stack, table

    def __enter__(self):
        self.conn = self.stack.engine.connect()
        self.tx = self.conn.begin()
        # The table name is one of this module's constants, never input.
        self.conn.execute(text(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE"))
        return self

    def __exit__(self, *exc):
        self.tx.rollback()
        self.conn.close()

    def blocked_backend(self, statement: str, answered: list, timeout: float = 15.0):
        """(pid, client port) of the server backend waiting for our lock in `statement`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answered:
                raise AssertionError(f"the request ended before {statement!r}: {answered[0]}")
            # pg_stat_activity is a snapshot per transaction: clear it to see what is new.
            self.conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            row = self.conn.execute(text("""
                SELECT pid, client_port FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND application_name = 'gisapp'
                  AND query ILIKE :q AND pid <> pg_backend_pid()"""),
                                    {"q": f"%{statement}%"}).first()
            if row:
                return row.pid, row.client_port
            time.sleep(0.05)
        raise AssertionError(f"no request blocked in {statement!r}")


def worker_owning(stack: Stack, local_port: int) -> int:
    """The gunicorn worker whose socket has this local port (the backend's client port)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) == local_port:
                inodes.add(cols[9])
    for pid in stack.workers():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd).strip("socket:[]") in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker owns port {local_port}")


def _in_background(fn, *args) -> tuple[threading.Thread, list]:
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn(*args)), daemon=True)
    t.start()
    return t, out


def _wait_backend_gone(stack: Stack, pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while stack.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = :p", p=pid):
        assert time.monotonic() < deadline, f"backend {pid} still there"
        time.sleep(0.05)


def _kill_mid_request(stack: Stack, table: str, statement: str, method: str, path: str, body,
                      user: str = "grid_worker") -> Answer:
    """Send the request, catch it blocked on `table`, SIGKILL its worker, then let go."""
    with Blocker(stack, table) as blocker:
        thread, out = _in_background(lambda: stack.call(method, path, body, user=user))
        backend, port = blocker.blocked_backend(statement, out)
        os.kill(worker_owning(stack, port), signal.SIGKILL)
        thread.join(20)
    _wait_backend_gone(stack, backend)
    return out[0]


def _orphans(stack: Stack) -> dict:
    return {
        "case without its report event": stack.scalar(
            "SELECT count(*) FROM case_file c WHERE NOT EXISTS "
            "(SELECT 1 FROM case_event e WHERE e.case_id = c.id AND e.action = 'report')"),
        "case photo without its file": sum(
            not (stack.photo_dir / sha[:2]).is_dir()
            or not any((stack.photo_dir / sha[:2]).glob(f"{sha}.*"))
            for sha in _photo_hashes(stack)),
        "partial upload files": len(list(stack.photo_dir.rglob(".upload-*"))),
    }


def _photo_hashes(stack: Stack) -> list[str]:
    with stack.engine.connect() as conn:
        return conn.execute(text("SELECT sha256 FROM case_photo")).scalars().all()


def test_worker_killed_mid_case_report(stack):
    cid = f"kill-case-{uuid.uuid4().hex[:8]}"
    cases = stack.scalar("SELECT count(*) FROM case_file")
    # The report is one statement (sql/081_case_report.sql): it blocks at its case_event insert.
    answer = _kill_mid_request(stack, "case_event", "case_report(", "POST", "/api/cases",
                               case_body(cid))
    assert answer.status == 0                      # the client saw the connection drop
    assert stack.scalar("SELECT count(*) FROM case_file WHERE client_id = :c", c=cid) == 0
    assert stack.scalar("SELECT count(*) FROM case_file") == cases
    assert not any(_orphans(stack).values()), _orphans(stack)
    retry = stack.call("POST", "/api/cases", case_body(cid))
    assert retry.status == 201
    assert stack.scalar("SELECT count(*) FROM case_file WHERE client_id = :c", c=cid) == 1
    print("worker SIGKILLed mid case report (after its case_file insert): no case, no orphan rows; "
          "the retry stored it once")


def test_worker_killed_mid_visit_that_opens_a_case(stack):
    if not has_visits(stack):
        pytest.skip("this checkout has no POST /api/visits")
    cid = f"kill-visit-{uuid.uuid4().hex[:8]}"
    visits, cases = (stack.scalar("SELECT count(*) FROM visit"),
                     stack.scalar("SELECT count(*) FROM case_file"))
    answer = _kill_mid_request(stack, "case_event", "case_report(", "POST", "/api/visits",
                               visit_body(stack, cid, open_case=True))
    assert answer.status == 0
    assert stack.scalar("SELECT count(*) FROM visit") == visits      # the visit went with the case
    assert stack.scalar("SELECT count(*) FROM case_file") == cases
    retry = stack.call("POST", "/api/visits", visit_body(stack, cid, open_case=True))
    assert retry.status == 201
    assert stack.scalar("SELECT count(*) FROM visit WHERE client_id = :c", c=cid) == 1
    assert stack.scalar("SELECT case_id IS NOT NULL FROM visit WHERE client_id = :c", c=cid)
    print("worker SIGKILLed mid visit (visit and its case inserted, case event pending): neither "
          "remains; the retry stored both once")


# --- boundary saves killed mid-transaction -----------------------------------------------

def _box(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _boundary_edit(stack: Stack, west_edge: float) -> dict:
    """Move the edge between the community's two grids (a valid save)."""
    with stack.engine.connect() as conn:
        versions = dict(conn.execute(text(
            "SELECT code, version FROM area_current "
            "WHERE code IN ('210204001001001', '210204001001002')")).all())
    return {"reason": "fault test", "children": [
        {"code": "210204001001001", "version": versions["210204001001001"],
         "geometry": _box(121.50, 38.95, west_edge, 39.00)},
        {"code": "210204001001002", "version": versions["210204001001002"],
         "geometry": _box(west_edge, 38.95, 121.55, 39.00)}]}


def boundary_state(stack: Stack) -> dict:
    """What must survive a killed save: the versions, and a sound tessellation."""
    with stack.engine.connect() as conn:
        row = conn.execute(text("""
            SELECT (SELECT count(*) FROM area_version) AS versions,
                   (SELECT md5(string_agg(id || ':' || """
                                """coalesce(valid_to::text, ''), ',' ORDER BY id))
                    FROM area_version) AS digest,
                   (SELECT count(*) FROM area a WHERE a.retired_at IS NULL AND (SELECT count(*)
                        FROM area_version v WHERE v.area_id = a.id AND v.valid_to IS NULL) <> 1)
                        AS not_one_current,
                   (SELECT count(*) FROM area_current WHERE NOT ST_IsValid(geom)) AS invalid,
                   (SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography)
                    FROM area_current p JOIN area_current c ON c.parent_id = p.id
                    WHERE p.code = :code GROUP BY p.geom) AS gap_m2,
                   (SELECT count(*) FROM household h JOIN area_current a ON a.id = h.area_id
                    WHERE NOT ST_Covers(a.geom, h.geom)) AS households_outside
        """), {"code": COMMUNITY}).mappings().first()
    return dict(row)


def _sound(state: dict) -> bool:
    return (state["not_one_current"] == 0 and state["invalid"] == 0 and state["gap_m2"] < 1
            and state["households_outside"] == 0)


def test_worker_killed_mid_boundary_save(stack):
    before = boundary_state(stack)
    assert _sound(before), before
    answer = _kill_mid_request(stack, "audit_log", "INSERT INTO audit_log", "PUT",
                               f"/api/boundaries/{COMMUNITY}", _boundary_edit(stack, 121.52),
                               user="community_sup")
    assert answer.status == 0
    assert boundary_state(stack) == before
    assert stack.call("GET", "/api/locate?lng=121.522&lat=38.99").body["areas"]["grid"]["code"] \
        == "210204001001001"                        # the old edge at 121.525 still holds
    retry = stack.call("PUT", f"/api/boundaries/{COMMUNITY}", _boundary_edit(stack, 121.52),
                       user="community_sup")
    assert retry.status == 200, retry
    after = boundary_state(stack)
    assert _sound(after) and after["versions"] > before["versions"], after
    print(f"worker SIGKILLed mid boundary save (versions written, areas re-linked, audit pending): "
          f"{before['versions']} versions before and after, tessellation sound; the retry saved "
          f"{after['versions'] - before['versions']} new versions")


def test_boundary_transaction_killed(stack):
    """The database ends the save's transaction (pg_terminate_backend) half-way through."""
    before = boundary_state(stack)
    with Blocker(stack, "audit_log") as blocker:
        thread, out = _in_background(lambda: stack.call(
            "PUT", f"/api/boundaries/{COMMUNITY}", _boundary_edit(stack, 121.53),
            user="community_sup"))
        backend, _ = blocker.blocked_backend("INSERT INTO audit_log", out)
        assert blocker.conn.execute(text("SELECT pg_terminate_backend(:p)"),
                                    {"p": backend}).scalar()
        thread.join(20)
    answer = out[0]
    assert answer.status == 503 and answer.headers.get("Retry-After"), answer
    assert boundary_state(stack) == before
    retry = stack.call("PUT", f"/api/boundaries/{COMMUNITY}", _boundary_edit(stack, 121.53),
                       user="community_sup")
    assert retry.status == 200, retry
    assert _sound(boundary_state(stack))
    print("boundary transaction terminated half-way: 503 with Retry-After, old boundaries intact "
          "and valid; the retry saved")


# --- the photo disk is full --------------------------------------------------------------

def _multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: '
                 f'form-data; name="photos"; filename="p.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _fill(directory: Path) -> Path:
    """Fill the filesystem to the last block."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        while os.write(fd, b"\0" * 1024):
            pass
    except OSError:         # ENOSPC: full
        pass
    finally:
        os.close(fd)
    return filler


def test_disk_full_when_storing_a_photo(stack):
    if not stack.tmpfs:
        pytest.skip("needs root to mount a tiny tmpfs for the photos")
    cid = f"diskfull-{uuid.uuid4().hex[:8]}"
    lng, lat = WEST_POINT
    fields = {"kind": "hazard", "category": "fire_exit", "description": "disk full test",
              "lng": lng, "lat": lat, "client_id": cid}
    photo = JPEG + uuid.uuid4().bytes * 2000           # ~32 kB, unique
    raw, ctype = _multipart(fields, photo)
    cases = stack.scalar("SELECT count(*) FROM case_file")
    filler = _fill(stack.photo_dir)
    try:
        files_before = sorted(p.name for p in stack.photo_dir.rglob("*") if p.is_file())
        answer = stack.call("POST", "/api/cases", raw=raw, ctype=ctype)
        assert answer.status == 507, answer
        assert answer.body["error"] == "storage_unavailable"
        assert stack.scalar("SELECT count(*) FROM case_file") == cases
        assert stack.scalar("SELECT count(*) FROM case_file WHERE client_id = :c", c=cid) == 0
        assert sorted(p.name for p in stack.photo_dir.rglob("*") if p.is_file()) == files_before
    finally:
        filler.unlink()
    retry = stack.call("POST", "/api/cases", raw=raw, ctype=ctype)
    assert retry.status == 201, retry
    assert not any(_orphans(stack).values()), _orphans(stack)
    assert stack.scalar("SELECT count(*) FROM case_photo p JOIN case_file c ON c.id = p.case_id "
                        "WHERE c.client_id = :c", c=cid) == 1
    print("photo disk full (256 kB tmpfs): 507 storage_unavailable, no case row, no partial file; "
          "after freeing space the retry stored the case and its photo once")
