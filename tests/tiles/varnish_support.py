"""A throwaway varnishd with the project's VCL (deploy/cluster/varnish.vcl.tmpl), in a
temporary directory on a free port, in front of a test's live app server."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "cluster" / "varnish.vcl.tmpl"
BAN_FROM = '    "127.0.0.1";\n    "::1";'


@dataclass(frozen=True)
class Varnish:
    url: str
    ban_url: str
    workdir: Path

    def stat(self, counter: str, settle: float = 0.3, limit: float = 3.0) -> int:
        """One varnishstat counter (e.g. MAIN.n_object), read from the proxy itself once it
        has held still for `settle` seconds: a worker thread adds its counts to the shared
        ones when it goes idle, a moment after its response has reached the client."""
        value, since, deadline = self._read(counter), time.monotonic(), time.monotonic() + limit
        while time.monotonic() - since < settle and time.monotonic() < deadline:
            time.sleep(0.05)
            now = self._read(counter)
            if now != value:
                value, since = now, time.monotonic()
        return value

    def _read(self, counter: str) -> int:
        out = subprocess.run(["varnishstat", "-n", str(self.workdir), "-1", "-f", counter],
                             capture_output=True, text=True, check=True).stdout
        return int(out.split()[1])


def free_ports(n: int) -> list[int]:
    """n distinct free ports (held open together while they are picked)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def render_vcl(backend_port: int, dest: Path) -> None:
    text = string.Template(TEMPLATE.read_text()).substitute(
        BACKEND_HOST="127.0.0.1", BACKEND_PORT=backend_port, BAN_FROM=BAN_FROM,
        LOOKUP_TTL="5s")
    dest.write_text(text)


@contextmanager
def running_varnish(backend_port: int, port: int, ban_port: int):
    """varnishd on 127.0.0.1:`port` for `backend_port`, taking BANs on `ban_port`; stopped
    (and its files removed) when the block ends, whether or not a test failed in it."""
    if shutil.which("varnishd") is None:
        pytest.skip("varnishd is not installed (apt-get install varnish)")
    tmp = Path(tempfile.mkdtemp(prefix="gisapp-varnish-"))
    tmp.chmod(0o755)                # the child runs as Debian's unprivileged varnish users
    vcl = tmp / "tiles.vcl"
    render_vcl(backend_port, vcl)
    log = (tmp / "varnishd.log").open("wb")
    proc = subprocess.Popen(
        ["varnishd", "-F", "-n", str(tmp / "n"), "-a", f"tiles=127.0.0.1:{port}",
         "-a", f"bans=127.0.0.1:{ban_port}", "-f", str(vcl),
         "-s", "malloc,64m", "-p", "ban_lurker_age=1", "-p", "ban_lurker_sleep=0.1",
         "-p", "thread_pool_min=10"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_listening(port, proc, tmp / "varnishd.log")
        yield Varnish(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ban_port}/", tmp / "n")
    finally:
        _stop(proc)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_until_listening(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"varnishd exited: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"varnishd did not listen within 60 s: {log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the manager and its child (their own process group, started above)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
