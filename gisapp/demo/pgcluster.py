"""A project-local PostgreSQL cluster: init, start, stop, nothing else.

Used by scripts/serve (under var/pg), by the test suite (a throwaway cluster in a
temporary directory) and by the benchmarks. It never touches the system's cluster
or port 5432. PostgreSQL refuses to run as root, so when we are root the cluster
belongs to the `postgres` OS user that Debian's package creates.

Run as `python -m gisapp.demo.pgcluster start|stop|url DATADIR PORT`.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "gisapp"


def pg_bindir() -> Path:
    """The directory holding initdb and pg_ctl (newest installed major version)."""
    env = os.environ.get("GISAPP_PG_BINDIR")
    if env:
        return Path(env)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found (initdb); install postgresql-15")


def _as_owner(cmd: list[str]) -> list[str]:
    # Root cannot run PostgreSQL: hand the command to the postgres OS user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def _owner_ids() -> tuple[int, int]:
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        return pw.pw_uid, pw.pw_gid
    return os.geteuid(), os.getegid()


@dataclass
class Cluster:
    """A cluster in `datadir`, listening on 127.0.0.1:`port` and a socket in `datadir`."""

    datadir: Path
    port: int

    @property
    def sockdir(self) -> Path:
        return self.datadir / "sock"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(self, args: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(_as_owner(args), check=check, text=True,
                              capture_output=True, **kw)

    def initialised(self) -> bool:
        return (self.datadir / "data" / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster's files (trust auth on loopback only)."""
        uid, gid = _owner_ids()
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.sockdir.mkdir(exist_ok=True)
        for d in (self.datadir, self.sockdir):
            os.chown(d, uid, gid)
        # The postgres user must be able to reach the directory.
        _open_path_for_others(self.datadir)
        bindir = pg_bindir()
        self._run([str(bindir / "initdb"), "-D", str(self.datadir / "data"), "-U", "postgres",
                   "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-N"])
        conf = self.datadir / "data" / "postgresql.conf"
        with open(conf, "a") as f:
            f.write("\n# gisapp project-local settings\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"port = {self.port}\n"
                    f"unix_socket_directories = '{self.sockdir}'\n"
                    "max_connections = 200\n"
                    "shared_buffers = 512MB\n"
                    "work_mem = 32MB\n"
                    "maintenance_work_mem = 512MB\n"
                    "max_wal_size = 4GB\n"
                    "synchronous_commit = on\n"
                    "logging_collector = off\n")

    def running(self) -> bool:
        r = self._run([str(pg_bindir() / "pg_ctl"), "-D", str(self.datadir / "data"), "status"],
                      check=False)
        return r.returncode == 0

    def start(self) -> None:
        """Start the cluster (initialising it first if needed) and create the database."""
        if not self.initialised():
            self.init()
        if not self.running():
            self._run([str(pg_bindir() / "pg_ctl"), "-D", str(self.datadir / "data"),
                       "-l", str(self.datadir / "postgres.log"), "-w", "-t", "60", "start"])
        self._wait_ready()
        self._ensure_database()

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster if it runs."""
        if self.initialised() and self.running():
            self._run([str(pg_bindir() / "pg_ctl"), "-D", str(self.datadir / "data"),
                       "-m", mode, "-w", "stop"], check=False)

    def _psql(self, sql: str, db: str = "postgres") -> str:
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-d", db, "-tAc", sql], check=True, text=True, capture_output=True)
        return r.stdout.strip()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._psql("select 1")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _ensure_database(self) -> None:
        if self._psql(f"select 1 from pg_database where datname = '{DB_NAME}'") != "1":
            self._psql(f"create database {DB_NAME}")


def _open_path_for_others(path: Path) -> None:
    # Parents of the data directory need o+x so the postgres user can traverse them.
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
        except PermissionError:
            pass


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in {"start", "stop", "url", "status"}:
        print("usage: python -m gisapp.demo.pgcluster start|stop|url|status DATADIR PORT", file=sys.stderr)
        return 2
    cluster = Cluster(Path(argv[1]).resolve(), int(argv[2]))
    if argv[0] == "start":
        cluster.start()
        print(cluster.url)
    elif argv[0] == "stop":
        cluster.stop()
    elif argv[0] == "status":
        return 0 if cluster.running() else 1
    else:
        print(cluster.url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
