"""Faults on the HA stack (scripts/cluster): run by `scripts/faults --cluster`, skipped
otherwise (it bootstraps etcd, two PostGIS nodes under Patroni, HAProxy and two app
nodes, with the demo district, in a temporary directory on ports 26400+: ~6 minutes).

Under load through the proxy (8 submitters sending reports and visits with client ids,
200 SSE clients reconnecting with Last-Event-ID):
- the primary's postmaster is SIGKILLed (its Patroni lives on and acts);
- the primary's machine dies (its Patroni and postmaster SIGKILLed at once), and
  `scripts/cluster up` brings it back as a streaming standby with no hand work;
each time: the first successful write comes within 30 s (RTO, measured), every
acknowledged write is on the primary (RPO 0), every unacknowledged one sent again is
stored exactly once, every failed request is a 503 with Retry-After, and every SSE
client gets the event of every stored report and visit exactly once, with increasing
ids and no `resync`;
- a planned switchover: nothing but 503 with Retry-After fails;
- an app node dies: the proxy sends its traffic to the other, and its SSE clients resume
  on the other node without losing or repeating an event;
- the shared tile cache (Varnish) in front of both nodes: 100 walls cost one fetch per
  tile, a report shows in its tile within 1 s, bans nothing else, personal tiles pass.
Figures go to test-artifacts/cluster-faults.json.
"""
from __future__ import annotations

import http.client
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

from gisapp.accounts import auth
from gisapp.db import make_engine

from ..tiles.varnish_support import Varnish

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.environ.get("GISAPP_FAULTS_CLUSTER") != "1",
                                reason="cluster faults run with scripts/faults --cluster")
SUBMITTERS = 8
LISTENERS = 200
DELIVERY_S = 30.0                # for every stored event to reach every SSE client
RTO_LIMIT_S = 30.0
MICRO_GRID = "210204001001001001"        # inside demo.gridworker's grid
FIGURES = ROOT / "test-artifacts" / "cluster-faults.json"


@dataclass
class Answer:
    status: int                  # 0: no HTTP answer at all
    retry_after: str | None
    sent: float
    done: float


class Stack:
    """The cluster under test, driven through scripts/cluster and its proxy."""

    def __init__(self, state: Path, base: int):
        self.env = dict(os.environ, GISAPP_CLUSTER_DIR=str(state),
                        GISAPP_CLUSTER_PORT_BASE=str(base), GISAPP_DEMO_CASES="200")
        os.environ.update(GISAPP_CLUSTER_DIR=str(state), GISAPP_CLUSTER_PORT_BASE=str(base))
        sys.path.insert(0, str(ROOT / "scripts"))
        self.c = importlib.import_module("cluster")
        self.base = self.c.http_url()

    def cluster(self, command: str) -> str:
        done = subprocess.run([str(ROOT / "scripts" / "cluster"), command], env=self.env,
                              text=True, capture_output=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        return done.stdout

    def call(self, method: str, path: str, body=None, token: str | None = None,
             timeout: float = 20.0) -> tuple[Answer, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        sent = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, headers, payload = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            status, headers, payload = exc.code, exc.headers, exc.read()
        except (OSError, ValueError):
            return Answer(0, None, sent, time.monotonic()), {}
        try:
            parsed = json.loads(payload) if payload else {}
        except ValueError:
            parsed = {}
        return Answer(status, headers.get("Retry-After"), sent, time.monotonic()), parsed

    def write_engine(self):
        return make_engine(self.c.write_url())

    def scalar(self, sql: str, **params):
        eng = self.write_engine()
        try:
            with eng.connect() as conn:
                return conn.execute(text(sql), params).scalar()
        finally:
            eng.dispose()


@pytest.fixture(scope="module")
def stack():
    state = Path(tempfile.mkdtemp(prefix="gisapp-cluster-"))
    s = Stack(state, int(os.environ.get("GISAPP_FAULTS_CLUSTER_BASE", "26400")))
    try:
        s.cluster("up")
        eng = s.write_engine()
        with eng.begin() as conn:
            s.token = auth.issue_token(conn, "demo.gridworker", days=1)
            s.point = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM area_current "
                "WHERE code = :c) q"), {"c": MICRO_GRID}).one()
            s.household = conn.execute(text(
                "SELECT h.id FROM household h JOIN area a ON a.id = h.area_id WHERE a.code = :c "
                "ORDER BY h.id LIMIT 1"), {"c": MICRO_GRID}).scalar()
        eng.dispose()
        s.outcome = s.call("GET", "/api/visits/outcomes", token=s.token)[1]["outcomes"][0]["key"]
        yield s
    finally:
        subprocess.run([str(ROOT / "scripts" / "cluster"), "down"], env=s.env, timeout=300)
        shutil.rmtree(state, ignore_errors=True)


@dataclass
class Sent:
    kind: str
    client_id: str
    answer: Answer
    case_id: int | None = None       # or the visit's id


@dataclass
class Submitters:
    """Reports and visits with client ids through the proxy, as phones send them."""

    stack: Stack
    n: int = SUBMITTERS
    sent: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def body(self, kind: str, cid: str) -> dict:
        s = self.stack
        if kind == "visit":
            return {"household_id": s.household, "outcome": s.outcome, "note": "cluster fault",
                    "client_id": cid}
        return {"kind": "hazard", "category": "fire_exit", "description": "消防通道被占 (cluster)",
                "client_id": cid, "location": {"lng": s.point[0], "lat": s.point[1]}}

    def send(self, kind: str, cid: str) -> Answer:
        return self.send_full(kind, cid)[0]

    def send_full(self, kind: str, cid: str) -> tuple[Answer, int | None]:
        path = "/api/visits" if kind == "visit" else "/api/cases"
        answer, body = self.stack.call("POST", path, self.body(kind, cid), token=self.stack.token)
        return answer, (body.get("case") or body.get("visit") or {}).get("id")

    def run(self, i: int) -> None:
        n = 0
        while not self.stop.is_set():
            kind = "visit" if n % 2 else "report"
            cid = f"cl-{i}-{n}-{uuid.uuid4().hex[:8]}"
            answer, case_id = self.send_full(kind, cid)
            self.sent.append(Sent(kind, cid, answer, case_id))
            n += 1
            if answer.status not in (200, 201):
                time.sleep(0.2)     # a phone's outbox waits a moment before the next try
            else:
                time.sleep(0.05)    # modest load: two cores are shared

    def __enter__(self):
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(self.n)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def acknowledged(self) -> list[Sent]:
        return [s for s in self.sent if s.answer.status in (200, 201)]

    def failed(self) -> list[Sent]:
        return [s for s in self.sent if s.answer.status not in (200, 201)]


class Listener:
    """An SSE client of /api/events through the proxy, reconnecting with Last-Event-ID as
    a browser's EventSource does; keeps every event it got, in order."""

    def __init__(self, stack: Stack):
        self.stack, self.stop = stack, threading.Event()
        self.connected = threading.Event()
        self.events: list[tuple[int, str, int]] = []     # (event id, 'case'|'visit', row id)
        self.resyncs = self.reconnects = 0
        self.last_id: str | None = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        host, port = self.stack.base.split("//")[1].split(":")
        while not self.stop.is_set():
            conn = http.client.HTTPConnection(host, int(port), timeout=20)
            headers = {"Authorization": f"Bearer {self.stack.token}"}
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                conn.request("GET", "/api/events", headers=headers)
                resp = conn.getresponse()
                if resp.status == 200:
                    self.connected.set()
                    self.read(resp)
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            if not self.stop.is_set():
                self.reconnects += 1
                time.sleep(0.5)

    def read(self, resp) -> None:
        event, event_id = None, None
        while not self.stop.is_set():
            line = resp.readline()
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("event: "):
                event = line[7:]
                self.resyncs += event == "resync"
            elif line.startswith("data: ") and event in ("case", "visit"):
                self.events.append((int(event_id), event, json.loads(line[6:])[event]["id"]))
            elif line == "":
                if event_id is not None:
                    self.last_id = event_id      # as EventSource: once the message is whole
                event, event_id = None, None

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def _listening(stack: Stack, n: int = LISTENERS) -> list[Listener]:
    """n SSE clients, each connected before the load starts."""
    listeners = [Listener(stack) for _ in range(n)]
    for listener in listeners:
        listener.__enter__()
    for listener in listeners:
        assert listener.connected.wait(60), "an SSE client never connected"
    return listeners


def _stored_events(stack: Stack, sent: list[Sent]) -> set[tuple[str, int]]:
    """The event every stored report and visit of this run should have made."""
    eng = stack.write_engine()
    with eng.connect() as conn:
        cases = conn.execute(text("SELECT id FROM case_file WHERE client_id = ANY(:ids)"),
                             {"ids": [s.client_id for s in sent if s.kind == "report"]})
        visits = conn.execute(text("SELECT id FROM visit WHERE client_id = ANY(:ids)"),
                              {"ids": [s.client_id for s in sent if s.kind == "visit"]})
        found = {("case", i) for i in cases.scalars()} | {("visit", i) for i in visits.scalars()}
    eng.dispose()
    return found


def _check_events(stack: Stack, listeners: list[Listener], sent: list[Sent]) -> dict:
    """Every SSE client got every stored event exactly once, ids increasing, no resync."""
    expected = _stored_events(stack, sent)
    deadline = time.monotonic() + DELIVERY_S
    while time.monotonic() < deadline and \
            any(not expected <= {(k, r) for _, k, r in li.events} for li in listeners):
        time.sleep(0.5)
    for listener in listeners:
        listener.stop.set()
    for listener in listeners:
        listener.__exit__()
    missing = [len(expected - {(k, r) for _, k, r in li.events}) for li in listeners]
    repeated = [len(li.events) - len({(k, r) for _, k, r in li.events}) for li in listeners]
    unordered = [sum(a[0] >= b[0] for a, b in zip(li.events, li.events[1:])) for li in listeners]
    figures = {"sse_clients": len(listeners), "sse_events_expected": len(expected),
               "sse_clients_missing_some": sum(m > 0 for m in missing),
               "sse_repeated": sum(repeated), "sse_out_of_order": sum(unordered),
               "sse_resyncs": sum(li.resyncs for li in listeners),
               "sse_reconnects": sum(li.reconnects for li in listeners)}
    assert expected, figures
    assert not any(missing) and not any(repeated) and not any(unordered), figures
    assert figures["sse_resyncs"] == 0, figures
    return figures


def _table(kind: str) -> str:
    return "visit" if kind == "visit" else "case_file"


def _counts(stack: Stack, sent: list[Sent]) -> dict[str, int]:
    counts: dict[str, int] = {}
    eng = stack.write_engine()
    with eng.connect() as conn:
        for kind in ("report", "visit"):
            ids = [s.client_id for s in sent if s.kind == kind]
            rows = conn.execute(text(f"SELECT client_id, count(*) FROM {_table(kind)} "  # constant
                                     "WHERE client_id = ANY(:ids) GROUP BY client_id"),
                                {"ids": ids})
            counts.update(dict(rows.all()))
    eng.dispose()
    return counts


def _resend_unacknowledged(stack: Stack, subs: Submitters) -> int:
    resent = 0
    for s in subs.failed():
        for _ in range(20):
            if subs.send(s.kind, s.client_id).status in (200, 201):
                resent += 1
                break
            time.sleep(1)
        else:
            pytest.fail(f"{s.kind} {s.client_id} never stored")
    return resent


def _assert_only_503(subs: Submitters) -> Counter:
    statuses = Counter(s.answer.status for s in subs.sent)
    bad = [s for s in subs.failed() if s.answer.status != 503 or not s.answer.retry_after]
    assert not bad, f"failures other than 503 with Retry-After: {statuses}"
    return statuses


def _leader(stack: Stack) -> str:
    deadline = time.monotonic() + 60
    while (name := stack.c.leader()) is None:
        assert time.monotonic() < deadline, "no leader"
        time.sleep(0.5)
    return name


def _wait_streaming(stack: Stack, node: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = {m["name"]: m for m in stack.c.members()}
        m = found.get(node, {})
        if m.get("role") in ("replica", "sync_standby") \
                and m.get("state") in ("running", "streaming") and m.get("lag") == 0:
            return m
        assert time.monotonic() < deadline, f"{node} did not rejoin: {found}"
        time.sleep(1)


def _record(name: str, figures: dict) -> None:
    FIGURES.parent.mkdir(exist_ok=True)
    known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    known[name] = figures
    FIGURES.write_text(json.dumps(known, indent=2))
    print(f"\n{name}: {json.dumps(figures)}")


def _postmaster(stack: Stack, node: str) -> int:
    return int((stack.c.STATE / node / "data" / "postmaster.pid").read_text().split()[0])


def _kill_under_load(stack: Stack, kill) -> dict:
    """Kill (a callable given the leader's name) while reports, visits and SSE listeners
    run through the proxy; check RTO, RPO 0, exactly-once resends, the event feed."""
    old = _leader(stack)
    listeners = _listening(stack)
    with Submitters(stack) as subs:
        time.sleep(5)
        killed = time.monotonic()
        kill(old)
        deadline = killed + RTO_LIMIT_S + 30
        while not any(s.answer.sent > killed for s in subs.acknowledged()):
            assert time.monotonic() < deadline, "no successful write after the kill"
            time.sleep(0.2)
        time.sleep(10)
    first = min(s.answer.done for s in subs.acknowledged() if s.answer.sent > killed)
    acked = subs.acknowledged()
    counts = _counts(stack, acked)
    lost = [s.client_id for s in acked if counts.get(s.client_id) != 1]
    statuses = _assert_only_503(subs)
    resent = _resend_unacknowledged(stack, subs)
    counts = _counts(stack, subs.sent)
    twice = [s.client_id for s in subs.sent if counts.get(s.client_id) != 1]
    figures = {"rto_s": round(first - killed, 1), "acknowledged": len(acked), "lost": len(lost),
               "unacknowledged_resent": resent, "statuses": dict(statuses),
               "old_primary": old, "new_primary": _leader(stack)}
    assert not lost, f"acknowledged but not on the primary: {lost[:5]} {figures}"
    assert not twice, f"not stored exactly once: {twice[:5]}"
    assert first - killed <= RTO_LIMIT_S, figures
    # The event feed follows the primary: every stored report and visit, those of the
    # failover window and the resent ones included, reaches every client exactly once.
    figures.update(_check_events(stack, listeners, subs.sent))
    return figures


def test_primary_postmaster_killed_under_load(stack):
    """Only the postmaster dies; its Patroni lives on and acts (restart or failover)."""
    figures = _kill_under_load(stack,
                               lambda node: os.kill(_postmaster(stack, node), signal.SIGKILL))
    _wait_streaming(stack, next(n for n in stack.c.NODES if n != figures["new_primary"]))
    _record("primary_postmaster_killed", figures)


def test_primary_machine_dies_under_load(stack):
    """The primary's Patroni and postmaster die at once, as when its machine dies; then
    `scripts/cluster up` brings the node back as a standby (pg_rewind)."""
    def kill(node: str) -> None:
        patroni, postmaster = stack.c.running_pid(node), _postmaster(stack, node)
        os.kill(patroni, signal.SIGKILL)
        os.kill(postmaster, signal.SIGKILL)

    figures = _kill_under_load(stack, kill)
    old = figures["old_primary"]
    assert figures["new_primary"] != old
    rejoin_started = time.monotonic()
    up = threading.Thread(target=stack.cluster, args=("up",))   # brings the dead node back
    up.start()
    member = _wait_streaming(stack, old)
    figures.update(rejoined_as=member["role"], rejoin_s=round(time.monotonic() - rejoin_started, 1))
    up.join(600)
    _record("primary_machine_died", figures)


def test_planned_switchover_under_load(stack):
    before = _leader(stack)
    with Submitters(stack) as subs:
        time.sleep(3)
        started = time.monotonic()
        stack.cluster("switchover")
        took = time.monotonic() - started
        time.sleep(3)
    assert _leader(stack) != before
    statuses = _assert_only_503(subs)
    _resend_unacknowledged(stack, subs)
    counts = _counts(stack, subs.sent)
    assert all(counts.get(s.client_id) == 1 for s in subs.sent)
    _record("planned_switchover", {"switchover_s": round(took, 1), "statuses": dict(statuses),
                                   "acknowledged": len(subs.acknowledged())})


def test_app_node_dies(stack):
    """An app node is SIGKILLed under load: the proxy sends its traffic to the other, and
    its SSE clients reconnect there and resume with Last-Event-ID, losing nothing."""
    answers: list[Answer] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            answers.append(stack.call("GET", "/api/areas?level=community&limit=5")[0])
            time.sleep(0.02)

    listeners = _listening(stack)
    threads = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
    with Submitters(stack) as subs:
        for t in threads:
            t.start()
        time.sleep(3)
        victim = stack.c.running_pid("app1")
        os.killpg(victim, signal.SIGKILL)            # the gunicorn master and its workers
        killed = time.monotonic()
        time.sleep(8)
        stop.set()
        for t in threads:
            t.join(30)
    after = [a for a in answers if a.sent > killed]
    statuses = Counter(a.status for a in answers)
    _assert_only_503(subs)
    _resend_unacknowledged(stack, subs)
    figures = {"requests": len(answers), "after_kill": len(after), "statuses": dict(statuses),
               "writes": len(subs.sent), "write_statuses": dict(Counter(s.answer.status
                                                                         for s in subs.sent))}
    figures.update(_check_events(stack, listeners, subs.sent))
    _record("app_node_killed", figures)
    assert after and all(a.status == 200 for a in after[-20:]), statuses
    assert all(a.status == 200 or (a.status == 503 and a.retry_after) for a in answers), statuses
    stack.cluster("up")                              # and the node comes back
    assert stack.c.running_pid("app1")


def _varnish_stat(stack: Stack, counter: str) -> int:
    return Varnish("", "", stack.c.STATE / "varnish").stat(counter)


def _tile_fetches(stack: Stack) -> Counter:
    """How often Varnish fetched each tile URL from the apps (its shared-memory log)."""
    out = subprocess.run(["varnishlog", "-d", "-n", str(stack.c.STATE / "varnish"),
                          "-i", "BereqURL"], capture_output=True, text=True, check=True).stdout
    return Counter(line.split()[-1] for line in out.splitlines() if line.endswith(".pbf"))


def _tile(stack: Stack, path: str, token: str | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(stack.base + path,
                                 headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.headers.get("X-Cache", ""), resp.read()


def test_shared_tile_cache_on_two_nodes(stack):
    """Varnish in front of both app nodes: 100 walls cost one fetch per tile, a report
    shows in its tile within 1 s and bans nothing else, personal tiles pass."""
    from gisapp.tiles.layers import tile_range
    lng, lat = stack.point
    at = lambda z: "/".join(map(str, (z, *tile_range((lng, lat, lng, lat), z)[:2])))   # noqa: E731
    far = lambda z: "/".join(map(str, (z, *tile_range((lng + 0.3, lat + 0.3) * 2, z)[:2])))  # noqa: E731
    home = f"/tiles/hazards/{at(13)}.pbf"
    paths = [home, f"/tiles/hazards/{far(13)}.pbf", f"/tiles/community/{at(12)}.pbf",
             f"/tiles/grid/{at(14)}.pbf", f"/tiles/base/{at(12)}.pbf", f"/tiles/base/{far(14)}.pbf"]
    fetches, tiles_fetched = _varnish_stat(stack, "MAIN.backend_req"), _tile_fetches(stack)
    bodies: dict[str, set] = {p: set() for p in paths}
    gate = threading.Barrier(100)

    def wall():
        gate.wait()
        for p in paths:
            status, cache, body = _tile(stack, p)
            assert status == 200 and cache in ("HIT", "MISS")
            bodies[p].add(body)
    walls = [threading.Thread(target=wall) for _ in range(100)]
    for t in walls:
        t.start()
    for t in walls:
        t.join(120)
    fetched = _varnish_stat(stack, "MAIN.backend_req") - fetches      # tiles and class lookups
    per_tile = _tile_fetches(stack) - tiles_fetched
    assert all(len(b) == 1 for b in bodies.values()) and set(per_tile.values()) == {1}, per_tile

    bans, before = _varnish_stat(stack, "MAIN.bans_added"), _tile(stack, home)[2]
    dups = _varnish_stat(stack, "MAIN.bans_dups")
    answer, _ = stack.call("POST", "/api/cases", Submitters(stack).body("report", uuid.uuid4().hex),
                           token=stack.token)
    assert answer.status == 201
    while _tile(stack, home)[2] == before:
        assert time.monotonic() - answer.done < 1.0, "the report not in the proxy's tile in 1 s"
        time.sleep(0.02)
    refreshed = time.monotonic() - answer.done
    assert [_tile(stack, p)[1] for p in paths[1:]] == ["HIT"] * 5    # far, or not its groups
    personal = f"/tiles/households/{at(16)}.pbf"
    assert [_tile(stack, personal, stack.token)[1] for _ in range(3)] == ["PASS"] * 3
    time.sleep(1)
    _record("shared_tile_cache", {
        "walls": 100, "tiles": len(paths), "tile_fetches": sum(per_tile.values()),
        "backend_fetches": fetched,
        "refresh_after_ack_ms": round(refreshed * 1000), "bans_added": _varnish_stat(
            stack, "MAIN.bans_added") - bans,
        "bans_dups": _varnish_stat(stack, "MAIN.bans_dups") - dups})
