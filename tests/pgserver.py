"""A throwaway PostgreSQL cluster for one test session.

``PgServer.start()`` runs ``initdb`` in a temporary directory and starts ``postgres``
on a free loopback port, with durability switched off because nothing here must
survive the session. PostgreSQL refuses to run as root, so when the tests run as
root the cluster belongs to an unprivileged system user instead.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "BACKENDS",
    "LAYOUTS",
    "PARTITIONS",
    "PgServer",
    "ServerUnavailable",
    "backend_url",
    "find_bindir",
    "layout_url",
    "start_or_skip",
]

# The partitioned variant of the PostgreSQL tests splits each per-contact table in this
# many hash partitions (by contact), as a distributed deployment splits it into shards.
PARTITIONS = 4
# Every test that reaches PostgreSQL runs on both layouts: the name a test id shows, and
# how many partitions the store gets.
LAYOUTS = {"postgres": 0, "postgres-partitioned": PARTITIONS}
# What a fixture choosing among backends (memory, sqlite, ...) lists for PostgreSQL.
BACKENDS = tuple(LAYOUTS)

_READY_SECONDS = 60
_STOP_SECONDS = 30
_UNPRIVILEGED_USERS = ("postgres", "nobody")
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "32MB",
    "dynamic_shared_memory_type": "mmap",
    "log_min_messages": "warning",
}


class ServerUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the cluster would not start (the message says which)."""


def start_or_skip() -> PgServer:
    """A started server; without one the test is skipped, except in CI, where it fails."""
    try:
        return PgServer.start()
    except ServerUnavailable as exc:
        reason = str(exc)
    except ImportError as exc:  # psycopg missing: the 'postgres' extra is not installed
        reason = f"psycopg cannot be imported ({exc}); install channel-handoff[postgres]"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI must run the PostgreSQL tests, but no server could be started: {reason}")
    pytest.skip(f"PostgreSQL tests need a local PostgreSQL: {reason}")


def layout_url(server: PgServer, schema: str, partitions: int) -> str:
    """The URL of a store in ``schema`` of ``server``, its tables split in ``partitions`` (0: not)."""
    return server.url(schema=schema, **({"partitions": str(partitions)} if partitions else {}))


def backend_url(request: pytest.FixtureRequest, backend: str) -> str:
    """For a fixture whose parameter is a backend name: the URL of an empty PostgreSQL
    store of the test's own laid out as :data:`LAYOUTS` names ``backend``."""
    server = request.getfixturevalue("postgres")
    return layout_url(server, request.getfixturevalue("postgres_schema"), LAYOUTS[backend])


def find_bindir() -> Path | None:
    """The newest PostgreSQL ``bin`` directory holding ``initdb`` and ``postgres``."""
    candidates = [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(out.stdout.strip()))
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "postgres").is_file():
            return candidate
    return None


def _major(path: str) -> int:
    version = Path(path).parent.name
    return int(version) if version.isdigit() else 0


class PgServer:
    """One running cluster; ``stop()`` (also run at exit) shuts it down and deletes it."""

    user = "handoff"
    dbname = "postgres"

    def __init__(self, bindir: Path, root: Path, port: int, password: str, process: subprocess.Popen[bytes]):
        self.bindir = bindir
        self.root = root
        self.port = port
        self.password = password
        self._process = process

    @classmethod
    def start(cls, bindir: Path | None = None, *, durable: bool = False) -> PgServer:
        """A fresh cluster. Tests skip fsync for speed; ``durable`` keeps production's
        fsync and synchronous commit, for benchmarks that must pay for real WAL flushes."""
        bindir = bindir or find_bindir()
        if bindir is None:
            raise ServerUnavailable("no PostgreSQL binaries found (looked in /usr/lib/postgresql/*/bin)")
        owner = _unprivileged_owner()
        root = Path(tempfile.mkdtemp(prefix="handoff-pg-"))
        try:
            server = cls._launch(bindir, root, owner, durable)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        atexit.register(server.stop)
        return server

    @classmethod
    def _launch(cls, bindir: Path, root: Path, owner: pwd.struct_passwd | None, durable: bool) -> PgServer:
        data, sockets = root / "data", root / "sockets"
        sockets.mkdir()
        password = secrets.token_hex(12)
        (root / "pwfile").write_text(password + "\n")
        if owner is not None:
            for path in (root, sockets, root / "pwfile"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        _run(
            owner,
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                cls.user,
                "--pwfile",
                str(root / "pwfile"),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        port = _free_port()
        settings = {**_SETTINGS, "port": str(port), "unix_socket_directories": str(sockets)}
        if durable:
            settings.update(fsync="on", synchronous_commit="on", full_page_writes="on")
        command = [str(bindir / "postgres"), "-D", str(data)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        log = (root / "server.log").open("wb")
        try:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **_as_user(owner))
        finally:
            log.close()
        server = cls(bindir, root, port, password, process)
        try:
            server._wait_until_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def conninfo(self, *, password: str | None = None, dbname: str | None = None) -> str:
        """A libpq connection string for the loopback port (the right password unless given)."""
        secret = self.password if password is None else password
        return (
            f"host=127.0.0.1 port={self.port} user={self.user} password={secret} "
            f"dbname={dbname or self.dbname} connect_timeout=10"
        )

    def url(self, **query: str) -> str:
        """A ``postgresql://`` URL for the loopback port, with optional query parameters
        (``partitions="4"`` makes a new schema hash-partitioned by contact)."""
        params = "&".join(f"{k}={v}" for k, v in query.items())
        base = f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.dbname}"
        return f"{base}?{params}" if params else base

    def stop(self) -> None:
        """Fast shutdown, then delete every file of the cluster. Safe to call twice."""
        process = self._process
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait_until_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + _READY_SECONDS
        while True:
            if self._process.poll() is not None:
                raise ServerUnavailable(f"postgres exited with {self._process.returncode}:\n{self._log()}")
            try:
                with psycopg.connect(self.conninfo(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ServerUnavailable(
                        f"postgres not ready after {_READY_SECONDS}s ({exc}):\n{self._log()}"
                    ) from exc
                time.sleep(0.05)

    def _log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return "(no server log)"


def _unprivileged_owner() -> pwd.struct_passwd | None:
    """Who runs the cluster: ``None`` (ourselves) unless we are root, which initdb refuses."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServerUnavailable(f"running as root and none of the users {_UNPRIVILEGED_USERS} exists")


def _as_user(owner: pwd.struct_passwd | None) -> dict[str, Any]:
    """Keyword arguments for subprocess that drop to ``owner`` (nothing when it is ourselves)."""
    if owner is None:
        return {}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": "/tmp"}
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": [], "env": env, "cwd": "/tmp"}


def _run(owner: pwd.struct_passwd | None, command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **_as_user(owner))
    if done.returncode != 0:
        raise ServerUnavailable(f"{Path(command[0]).name} failed ({done.returncode}):\n{done.stderr}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
