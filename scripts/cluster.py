"""scripts/cluster up|status|switchover|down: the HA stack on one machine.

One etcd, two PostGIS nodes under Patroni (synchronous standby), HAProxy with a write
port (the primary), a read port (a replica) and an HTTP port (two gunicorn app nodes,
each with its own tile cache, one shared photo directory), and Varnish, the shared tile
cache, which HAProxy sends /tiles/ to. Config templates live in deploy/cluster/;
everything they render and every byte of state lives in var/cluster/
(GISAPP_CLUSTER_DIR). Ports are GISAPP_CLUSTER_PORT_BASE (25400, below the ephemeral
port range) plus fixed offsets.

`up` is idempotent: it starts whatever is not running, so after a node was killed it
brings that node back, and Patroni makes it a standby of the current primary
(pg_rewind, or a fresh clone when rewinding is impossible).
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "cluster"
STATE = Path(os.environ.get("GISAPP_CLUSTER_DIR", ROOT / "var" / "cluster")).resolve()
BASE = int(os.environ.get("GISAPP_CLUSTER_PORT_BASE", "25400"))
HOST = "127.0.0.1"
RUN_USER = "gisapp"             # PostgreSQL and Patroni refuse to run as root
NODES = ("pg1", "pg2")
APPS = ("app1", "app2")
PORTS = {
    "etcd_client": BASE + 1, "etcd_peer": BASE + 2,
    "pg1": BASE + 11, "pg2": BASE + 12, "rest_pg1": BASE + 21, "rest_pg2": BASE + 22,
    "write": BASE + 31, "read": BASE + 32,
    "http": BASE + 80, "app1": BASE + 81, "app2": BASE + 82, "stats": BASE + 90,
    # Varnish: tiles from HAProxy, BANs from the app nodes; its backend is app_pool.
    "app_pool": BASE + 83, "varnish": BASE + 85, "varnish_bans": BASE + 86,
}
DB = "gisapp"


def log(msg: str) -> None:
    print(f"\033[1m[cluster]\033[0m {msg}", file=sys.stderr, flush=True)


def write_url() -> str:
    return f"postgresql://postgres@{HOST}:{PORTS['write']}/{DB}"


def read_url() -> str:
    return f"postgresql://postgres@{HOST}:{PORTS['read']}/{DB}"


def http_url() -> str:
    return f"http://{HOST}:{PORTS['http']}"


# ---------------------------------------------------------------- processes and files

def run_user() -> pwd.struct_passwd:
    """The OS user PostgreSQL, Patroni and etcd run as (a system user made when root)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(RUN_USER)
    except KeyError:
        log(f"creating the system user {RUN_USER}")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "--home-dir", "/nonexistent", RUN_USER], check=True)
        return pwd.getpwnam(RUN_USER)


def pidfile(name: str) -> Path:
    return STATE / "run" / f"{name}.pid"


def running_pid(name: str) -> int | None:
    """The pid of a component we started, if that process is still alive."""
    try:
        pid = int(pidfile(name).read_text())
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return None if state == "Z" else pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def spawn(name: str, argv: list[str], as_user: bool = False, env: dict | None = None) -> int:
    """Start a component in its own session, log to var/cluster/log/NAME.log."""
    user = run_user() if as_user and os.geteuid() == 0 else None
    logf = (STATE / "log" / f"{name}.log").open("ab")
    proc = subprocess.Popen(
        argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, cwd=STATE, env=env or dict(os.environ, HOME=str(STATE)),
        user=user.pw_uid if user else None, group=user.pw_gid if user else None,
        extra_groups=[] if user else None)
    pidfile(name).write_text(str(proc.pid))
    return proc.pid


def stop(name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    pid = running_pid(name)
    if pid is None:
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while running_pid(name) and time.monotonic() < deadline:
        time.sleep(0.2)
    if running_pid(name):
        log(f"{name} did not stop in {timeout:.0f} s; SIGKILL")
        os.kill(pid, signal.SIGKILL)
    pidfile(name).unlink(missing_ok=True)


def wait_for(what: str, check, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"[cluster] timed out waiting for {what}; see {STATE}/log/")
        time.sleep(0.3)


def http_json(url: str, timeout: float = 2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def pg_bindir() -> str:
    """The newest installed PostgreSQL's bin directory (as gisapp.demo.pgcluster picks it)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    if not found:
        raise SystemExit("[cluster] PostgreSQL server binaries not found")
    return str(Path(found[-1]).parent)


def render(template: str, dest: Path, **values) -> None:
    text = string.Template((DEPLOY / template).read_text()).substitute(values)
    dest.write_text(text)


def common_values() -> dict:
    return {"STATE": str(STATE), "DEPLOY": str(DEPLOY), "PROXY_HOST": HOST}


def render_configs() -> None:
    values = common_values()
    peer = f"http://{HOST}:{PORTS['etcd_peer']}"
    render("etcd.yml.tmpl", STATE / "etcd.yml", **values, ETCD_NAME="etcd1", ETCD_HOST=HOST,
           ETCD_CLIENT_PORT=PORTS["etcd_client"], ETCD_PEER_PORT=PORTS["etcd_peer"],
           ETCD_INITIAL_CLUSTER=f"etcd1={peer}")
    for node in NODES:
        # One machine, loopback only: trust. Real machines: scram-sha-256 and real passwords.
        render("patroni.yml.tmpl", STATE / f"patroni-{node}.yml", **values, NODE=node,
               NODE_HOST=HOST, REST_PORT=PORTS[f"rest_{node}"], PG_PORT=PORTS[node],
               ETCD_HOSTS=f"{HOST}:{PORTS['etcd_client']}", PG_BINDIR=pg_bindir(),
               REPL_USER="replicator", HBA_NETWORK="127.0.0.1/32", HBA_METHOD="trust",
               SUPERUSER_PASSWORD="local", REPL_PASSWORD="local", REWIND_PASSWORD="local",
               SHARED_BUFFERS="128MB")
    pg_servers = [f"    server {n} {HOST}:{PORTS[n]} check port {PORTS['rest_' + n]}"
                  for n in NODES]
    render("haproxy.cfg.tmpl", STATE / "haproxy.cfg", **values,
           WRITE_PORT=PORTS["write"], READ_PORT=PORTS["read"], HTTP_PORT=PORTS["http"],
           STATS_PORT=PORTS["stats"], WRITE_SERVERS="\n".join(pg_servers),
           READ_SERVERS="\n".join(pg_servers),
           APP_SERVERS="\n".join(f"    server {a} {HOST}:{PORTS[a]} check" for a in APPS),
           APP_POOL_PORT=PORTS["app_pool"],
           VARNISH_SERVER=f"    server varnish {HOST}:{PORTS['varnish']} check")
    render("varnish.vcl.tmpl", STATE / "varnish.vcl", BACKEND_HOST=HOST,
           BACKEND_PORT=PORTS["app_pool"], BAN_FROM=f'    "{HOST}";', LOOKUP_TTL="5s")


def prepare_dirs() -> None:
    user = run_user()
    for sub in ("run", "log", "photos", *APPS):
        (STATE / sub).mkdir(parents=True, exist_ok=True)
    # The run user owns its own directories and must be able to reach them.
    for sub in ("etcd", *NODES):
        d = STATE / sub
        d.mkdir(mode=0o700, exist_ok=True)
        os.chown(d, user.pw_uid, user.pw_gid)
    for parent in [STATE, *STATE.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


# ---------------------------------------------------------------- the components

def start_etcd() -> None:
    if not running_pid("etcd"):
        log(f"starting etcd on {HOST}:{PORTS['etcd_client']}")
        spawn("etcd", ["etcd", "--config-file", str(STATE / "etcd.yml")], as_user=True)
    wait_for("etcd", lambda: http_json(f"http://{HOST}:{PORTS['etcd_client']}/health")[0] == 200)


def start_patroni(node: str) -> None:
    if running_pid(node):
        return
    log(f"starting Patroni {node} (PostgreSQL on {HOST}:{PORTS[node]})")
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(STATE / node), "LANG": "C.UTF-8"}
    spawn(node, ["/usr/bin/patroni", str(STATE / f"patroni-{node}.yml")], as_user=True, env=env)


def members() -> list[dict]:
    """Patroni's view of the cluster (from whichever node answers)."""
    for node in NODES:
        try:
            status, body = http_json(f"http://{HOST}:{PORTS['rest_' + node]}/cluster")
            if status == 200:
                return body.get("members", [])
        except OSError:
            continue
    return []


def leader() -> str | None:
    for m in members():
        if m.get("role") in ("leader", "master", "primary") and m.get("state") == "running":
            return m["name"]
    return None


def replicas_streaming() -> list[str]:
    return [m["name"] for m in members()
            if m.get("role") in ("sync_standby", "replica")
            and m.get("state") in ("running", "streaming")]


def start_database() -> None:
    for node in NODES:
        start_patroni(node)
    wait_for("a Patroni leader", lambda: leader() is not None, timeout=120)
    wait_for("the standby", lambda: len(replicas_streaming()) == len(NODES) - 1, timeout=300)


def start_haproxy() -> None:
    if running_pid("haproxy"):
        # Reload the (re-rendered) configuration without dropping connections.
        os.kill(running_pid("haproxy"), signal.SIGUSR2)
    else:
        log(f"starting HAProxy: http {PORTS['http']}, write {PORTS['write']}, read {PORTS['read']}")
        spawn("haproxy", ["haproxy", "-W", "-db", "-f", str(STATE / "haproxy.cfg")])
    wait_for("the write port", lambda: psql(write_url_db("postgres"), "select 1") == "1")


def write_url_db(db: str) -> str:
    return f"postgresql://postgres@{HOST}:{PORTS['write']}/{db}"


def psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", url, "-tAc", sql], text=True, capture_output=True)
    if done.returncode != 0:
        raise OSError(done.stderr.strip())
    return done.stdout.strip()


def app_env(app: str) -> dict:
    return dict(os.environ, GISAPP_DATABASE_URL=write_url(), GISAPP_READ_DATABASE_URL=read_url(),
                GISAPP_TILE_CACHE_DIR=str(STATE / app / "tile-cache"),
                GISAPP_PHOTO_DIR=str(STATE / "photos"),
                GISAPP_TILE_PROXY_BAN_URL=f"http://{HOST}:{PORTS['varnish_bans']}/")


def gisapp_cmd(*args: str) -> None:
    venv = ROOT / ".venv" / "bin"
    subprocess.run([str(venv / "gisapp"), *args], check=True, cwd=ROOT, env=app_env("app1"))


def load_data() -> None:
    """Database, schema and the demo district, all through the write port."""
    # DB is a constant of this script, never input.
    if psql(write_url_db("postgres"), f"select 1 from pg_database where datname = '{DB}'") != "1":
        psql(write_url_db("postgres"), f"create database {DB}")
    gisapp_cmd("init-db")
    # Asked here first: each `gisapp` command costs seconds of start-up on a busy machine.
    if psql(write_url(), "select exists (select 1 from area)") != "t":
        gisapp_cmd("demo", "--if-empty", "--scale", os.environ.get("GISAPP_DEMO_SCALE", "district"))
    if psql(write_url(), "select exists (select 1 from case_file)") != "t":
        gisapp_cmd("demo-cases", "--if-empty", "--per-district",
                   os.environ.get("GISAPP_DEMO_CASES", "3000"))


def start_app(app: str) -> None:
    if running_pid(app):
        return
    log(f"starting app node {app} on {HOST}:{PORTS[app]}")
    venv = ROOT / ".venv" / "bin"
    spawn(app, [str(venv / "gunicorn"), "--config", str(ROOT / "gisapp" / "gunicorn_conf.py"),
                "--bind", f"{HOST}:{PORTS[app]}",
                "--workers", os.environ.get("GISAPP_WORKERS", "2"),
                "gisapp:create_app()"], env=app_env(app))


def start_apps() -> None:
    for app in APPS:
        start_app(app)
    for app in APPS:
        wait_for(app, lambda: http_json(f"http://{HOST}:{PORTS[app]}/api/ping")[0] == 200)


def start_varnish() -> None:
    """The shared tile cache: tiles from HAProxy on one socket, BANs on the other."""
    if running_pid("varnish"):
        return
    log(f"starting Varnish: tiles {PORTS['varnish']}, bans {PORTS['varnish_bans']}")
    # Run as root, varnishd drops to Debian's `varnish` and `vcache` users itself.
    spawn("varnish", ["varnishd", "-F", "-n", str(STATE / "varnish"),
                      "-a", f"tiles={HOST}:{PORTS['varnish']}",
                      "-a", f"bans={HOST}:{PORTS['varnish_bans']}",
                      "-f", str(STATE / "varnish.vcl"), "-s", "malloc,256m",
                      "-p", "ban_lurker_age=1", "-p", "ban_lurker_sleep=0.1",
                      "-p", "thread_pool_min=20"])
    wait_for("Varnish", lambda: socket.create_connection((HOST, PORTS["varnish"]), 1).close()
             or True)


def tiles_through_varnish() -> bool:
    """Whether a tile asked of the proxy was answered by Varnish (HAProxy marks it up
    only after two passed checks)."""
    with urllib.request.urlopen(http_url() + "/tiles/base/5/0/0.pbf", timeout=5) as resp:
        resp.read()
        return resp.headers.get("X-Cache") is not None


def varnish_counters() -> str:
    """Hits, misses and stored objects, from varnishstat."""
    done = subprocess.run(["varnishstat", "-n", str(STATE / "varnish"), "-1", "-f",
                           "MAIN.cache_hit", "-f", "MAIN.cache_miss", "-f", "MAIN.n_object",
                           "-f", "MAIN.bans"], capture_output=True, text=True)
    if done.returncode != 0:
        return ""
    values = dict(line.split()[:2] for line in done.stdout.splitlines() if line.strip())
    return ", ".join(f"{k.removeprefix('MAIN.')} {v}" for k, v in values.items())


# ---------------------------------------------------------------- the commands

def up() -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    prepare_dirs()
    render_configs()
    start_etcd()
    start_database()
    start_haproxy()
    load_data()
    # Varnish before the apps: each app process bans every tile once as it starts.
    start_varnish()
    start_apps()
    wait_for("HAProxy sending tiles to Varnish", tiles_through_varnish)
    wait_for("the proxy", lambda: http_json(http_url() + "/healthz")[0] == 200)
    status()


def lag_text(member: dict) -> str:
    if member.get("role") in ("leader", "master", "primary"):
        return "-"
    lag = member.get("lag")
    return f"{lag} bytes" if isinstance(lag, int) else str(lag)


def status() -> int:
    print(f"http:   {http_url()}/   (proxy stats: http://{HOST}:{PORTS['stats']}/)")
    print(f"write:  {write_url()}")
    print(f"read:   {read_url()}")
    found = members()
    if not found:
        print("database: no Patroni node answers")
    for m in found:
        print(f"  {m['name']:4} {m.get('role', '?'):13} {m.get('state', '?'):9} "
              f"timeline {m.get('timeline', '-')}  lag {lag_text(m)}  "
              f"{m.get('host')}:{m.get('port')}")
    for name in ("etcd", "haproxy", "varnish", *APPS, *NODES):
        pid = running_pid(name)
        print(f"  {name:8} {'running, pid ' + str(pid) if pid else 'stopped'}")
    if running_pid("varnish"):
        print(f"tile cache: {varnish_counters()}")
    return 0 if found and leader() else 1


def sync_standbys() -> list[str]:
    return [m["name"] for m in members()
            if m.get("role") == "sync_standby" and m.get("state") in ("running", "streaming")]


def switchover() -> None:
    current = leader()
    if current is None:
        raise SystemExit("[cluster] no leader: nothing to switch over from")
    if not replicas_streaming():
        raise SystemExit("[cluster] no streaming standby to switch over to")
    # In synchronous mode Patroni hands over only to the synchronous standby, and a
    # standby that has just rejoined streams for a loop or two before it is made one.
    wait_for("a synchronous standby", lambda: bool(sync_standbys()), timeout=60)
    candidates = [n for n in sync_standbys() if n != current]
    log(f"planned switchover {current} -> {candidates[0]}")
    subprocess.run(["patronictl", "-c", str(STATE / f"patroni-{current}.yml"), "switchover",
                    "--leader", current, "--candidate", candidates[0], "--force"], check=True)
    wait_for("the new leader", lambda: leader() == candidates[0], timeout=60)
    wait_for("the old leader as standby", lambda: current in replicas_streaming(), timeout=120)
    status()


def down() -> None:
    # The front first, so no new work arrives; then the apps, the database, etcd.
    for name in ("haproxy", "varnish", *APPS):
        stop(name)
    current = leader()
    for node in sorted(NODES, key=lambda n: n == current):   # standby first, the leader last
        stop(node, timeout=60)
    stop("etcd")
    log("stopped")


def main(argv: list[str]) -> int:
    commands = {"up": up, "status": status, "switchover": switchover, "down": down}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: scripts/cluster up|status|switchover|down", file=sys.stderr)
        return 2
    return commands[argv[0]]() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
