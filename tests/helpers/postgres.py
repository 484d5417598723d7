"""A throw-away PostgreSQL cluster for the tests: a real server, never a mock.

``cluster()`` runs ``initdb`` into a fresh folder under /tmp and starts the server listening on a
Unix socket in that folder only (no TCP port: nothing to collide with, nothing reachable from
outside). It is started once per test process and stopped when the process exits. initdb refuses
to run as root, so when the tests run as root the server runs as the ``postgres`` system user (or
``nobody``), which owns the folder. ``database()`` gives every test its own empty database.

The binaries: ``$STANDARDS_KERNEL_PG_BIN``, else the newest /usr/lib/postgresql/*/bin (Debian's
``postgresql`` package, which scripts/test installs when it is missing), else initdb on PATH.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

PORT = 5432  # only names the socket file, inside the cluster's own folder
SUPERUSER = "standards"
_databases = itertools.count(1)


def pg_bin() -> Path:
    if os.environ.get("STANDARDS_KERNEL_PG_BIN"):
        return Path(os.environ["STANDARDS_KERNEL_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL's initdb is not installed: run scripts/test (it installs Debian's postgresql)")


class Cluster:
    """One PostgreSQL server in a temporary folder, on a Unix socket there."""

    def __init__(self, *, fsync: bool = False) -> None:
        # fsync off by default: the tests kill the server process, never the machine, so what a
        # commit wrote is in the OS cache either way, and recovery after a crash stays quick.
        # The benchmarks turn it on.
        self.fsync = fsync
        self.bin = pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="sk-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.user = _server_user()
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._as_server(["initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                         "--locale=C", "--no-sync"])
        self._watchdog()
        self.start()

    def _argv(self, command: list[str]) -> list[str]:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self.user is not None:
            argv = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups", *argv]
        return argv

    def _watchdog(self) -> None:
        """A detached shell that stops the server and removes the folder once this process is
        gone, however it ended (a test run killed by a timeout runs no atexit handler)."""
        stop = shlex.join(self._argv(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"]))
        loop = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                f"{stop} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.root))}")
        # sh exits at once, leaving its background loop to init: nothing for this process to reap.
        subprocess.run(["sh", "-c", f"({loop}) </dev/null >/dev/null 2>&1 &"], check=True, start_new_session=True)

    def _as_server(self, command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self._argv(command), capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr or done.stdout}\n"
                               f"{self.log.read_text() if self.log.exists() else ''}")
        return done

    def start(self) -> None:
        options = f"-k {self.root} -c listen_addresses='' -p {PORT} -c max_connections=200 -c fsync={'on' if self.fsync else 'off'}"
        self._as_server(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._as_server(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"], check=False)

    def restart(self, mode: str = "immediate") -> None:
        """Stop the server (``immediate``: as a crash would, no shutdown checkpoint) and start it."""
        self.stop(mode)
        self.start()

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={self.root}&port={PORT}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)

    def database(self, prefix: str = "ledger") -> str:
        """A new empty database; returns its URL (as the superuser)."""
        name = f"{prefix}_{os.getpid()}_{next(_databases)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")


_cluster: Cluster | None = None


def cluster() -> Cluster:
    """The test process's cluster, started on first use and removed when the process exits."""
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
        atexit.register(_cluster.destroy)
    return _cluster
