"""Real things that fail on demand: an inference server in its own process (killed and restarted),
a dedicated PostgreSQL server (stopped and started), and a second process holding a SQLite file's
write lock. Plus the AppTest plumbing for pointing the app at them.

The dedicated PostgreSQL is never the shared one at 127.0.0.1:5432 (other tests use that): it is an
`initdb` cluster in a temporary directory on a free port with trust auth, run as the `postgres` OS
user when the tests run as root (postgres refuses to run as root).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# -- the inference server as a separate process ------------------------------------------------------


class ExternalInferenceServer:
    """`python -m localserver` in its own process on a fixed port: kill it mid-stream, start it again."""

    def __init__(self, words_per_second: float = 0):
        self.port = free_port()
        self.words_per_second = words_per_second
        self.log_path = Path(tempfile.mkstemp(prefix="localserver-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> ExternalInferenceServer:
        command = [
            sys.executable,
            "-m",
            "localserver",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--words-per-second",
            str(self.words_per_second),
        ]
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if self._process.poll() is not None:
                raise AssertionError(f"localserver exited with {self._process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                self.stats()
                return self
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise AssertionError(f"localserver did not answer on {self.url}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, connections are reset, nothing is flushed."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)
        self._process = None

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/_local/stats", timeout=2) as response:  # noqa: S310 (local URL)
            return json.load(response)

    def chat_requests(self) -> int:
        return int(self.stats()["by_operation"].get("chat", 0))

    def cleanup(self) -> None:
        self.kill()
        self.log_path.unlink(missing_ok=True)


# -- a dedicated PostgreSQL server --------------------------------------------------------------------


def postgres_bin_dir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "pg_ctl").is_file() and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def postgres_unavailable_reason() -> str | None:
    if postgres_bin_dir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _user_missing("postgres")):
        return "running as root needs the `postgres` OS user and runuser to start a dedicated PostgreSQL"
    return None


def _user_missing(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return True
    return False


class DedicatedPostgres:
    """An initdb cluster of its own (trust auth, fsync off, a free port) that tests stop and start."""

    def __init__(self):
        self.bin_dir = postgres_bin_dir()
        assert self.bin_dir is not None
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data_dir = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self.log_tail()}"
            )

    def init(self) -> DedicatedPostgres:
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: open connections are terminated, new ones are refused."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop")

    @property
    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, admin: Engine) -> str:
        name = f"t_fault_{uuid.uuid4().hex[:10]}"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.url(name)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-chars:]
        except OSError:
            return "(no log)"

    def cleanup(self) -> None:
        if self.running:
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
            except AssertionError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def database_name(url: str) -> str:
    return make_url(url).database or ""


# -- a second process holding the SQLite write lock -------------------------------------------------

_LOCK_SCRIPT = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
connection.execute(sys.argv[2])
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
connection.close()
print("released", flush=True)
"""


class SqliteWriteLock:
    """Another process that opens the app's SQLite file and holds `BEGIN EXCLUSIVE` (or IMMEDIATE)
    until `release()`: every writer of the app waits the busy timeout, then gets "database is locked"."""

    def __init__(self, path: Path, statement: str = "BEGIN EXCLUSIVE"):
        self._process = subprocess.Popen(
            [sys.executable, "-c", _LOCK_SCRIPT, str(path), statement],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        line = self._process.stdout.readline().decode().strip()
        if line != "locked":
            self._process.kill()
            raise AssertionError(f"could not lock {path}: {line!r} {self._process.stderr.read().decode()[-1000:]}")

    def release(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            assert self._process.stdout.readline().decode().strip() == "released"
            self._process.wait(10)

    def __enter__(self) -> SqliteWriteLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)


def in_background(action: Callable[[], None]) -> threading.Thread:
    """Run `action` on a thread (e.g. kill a server while AppTest.run() is streaming); join() re-raises
    nothing, so the caller checks `thread.error`."""
    thread = threading.Thread(target=_record_error(action), daemon=True)
    thread.error = None  # type: ignore[attr-defined]
    thread.start()
    return thread


def _record_error(action: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            threading.current_thread().error = exc  # type: ignore[attr-defined]

    return run


def count_rows(url: str, table: str) -> int:
    """Rows in `table`, read with a connection of its own (not the app's pool)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()
