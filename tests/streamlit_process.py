"""Run the portal as a real `streamlit run` subprocess for end-to-end tests.

Every instance gets a fresh `PORTAL_DATA_DIR` (a temporary directory) and an environment without
`AZURE_INFERENCE_*` (so the offline demo backend is used) nor `DATABASE_URL` (so the SQLite file
lands in that data dir). `restart()` starts a new process on the same data dir, which is how the
tests prove that conversations survive an app restart. The process output goes to a log file in the
temporary directory; its tail is part of every startup failure message.

Explicit opt-ins put back what is stripped, for tests of several instances, of a configured
connection and for the load benchmark: `database_url=` (every instance given the same PostgreSQL URL
shares one database), `inference_endpoint=` (an external inference server without auth, e.g.
`python -m localserver`, instead of the in-process offline one) and `inference=` (any
`AZURE_INFERENCE_*` settings). Passing them in `env` still has no effect.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_CHARS = 4000
_REMOVED_PREFIXES = ("AZURE_INFERENCE_",)
_REMOVED_NAMES = ("DATABASE_URL", "PORTAL_DATA_DIR")


class StreamlitStartupError(AssertionError):
    """The app did not become healthy; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without Azure settings or a database override, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_REMOVED_PREFIXES) and key not in _REMOVED_NAMES
    }
    env.update(extra or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class StreamlitApp:
    """`streamlit run streamlit_app.py` on a free port of 127.0.0.1, with its own data directory."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        database_url: str | None = None,
        inference_endpoint: str | None = None,
        inference: Mapping[str, str] | None = None,
        address: str = "127.0.0.1",
    ):
        """`database_url`: use this database (`DATABASE_URL`) instead of a SQLite file in the data dir.
        `inference_endpoint`: use this endpoint with `AZURE_INFERENCE_AUTH=none` instead of the
        in-process offline server. `inference`: exactly these `AZURE_INFERENCE_*` settings (a user's
        configuration, e.g. endpoint, key and model)."""
        self._extra_env = dict(env or {})
        for key in list(self._extra_env):
            if key.startswith(_REMOVED_PREFIXES) or key in ("DATABASE_URL",):
                del self._extra_env[key]  # the offline backend and the tmp data dir are the point of this helper
        if database_url:
            self._extra_env["DATABASE_URL"] = database_url
        if inference_endpoint:
            self._extra_env.update({"AZURE_INFERENCE_ENDPOINT": inference_endpoint, "AZURE_INFERENCE_AUTH": "none"})
        if inference:
            assert all(key.startswith("AZURE_INFERENCE_") for key in inference), inference
            self._extra_env.update(inference)
        self._startup_timeout = startup_timeout
        self.address = address  # where it listens; the tests reach it on 127.0.0.1 either way
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="portal-e2e-"))
        self.data_dir = self.tmp_dir / "data"
        self.data_dir.mkdir()
        self.log_path = self.tmp_dir / "streamlit.log"
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file = None
        self.starts = 0

    # lifecycle

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the app is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id of the running `streamlit run` (for memory measurements), else None."""
        return self._process.pid if self.running else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def secrets_path(self) -> Path:
        """The app's secrets.toml: its own file in the temporary directory, unless the test gave one
        (never the checkout's .streamlit/secrets.toml, which "Connect your model" writes to)."""
        return Path(self._extra_env.get("STREAMLIT_SECRETS_FILES", str(self.tmp_dir / "secrets.toml")))

    def environment(self) -> dict[str, str]:
        return clean_environment(
            {"STREAMLIT_SECRETS_FILES": str(self.secrets_path), **self._extra_env, "PORTAL_DATA_DIR": str(self.data_dir)}
        )

    def start(self, port: int | None = None) -> StreamlitApp:
        if self.running:
            raise RuntimeError("the app is already running; call restart()")
        self.port = port or free_port()
        self.starts += 1
        command = [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",  # as `dev.py app` runs it
            "--server.port", str(self.port),
            "--server.headless", "true",
            "--server.address", self.address,
            "--browser.gatherUsageStats", "false",
        ]
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self._log_file.write(f"\n===== start #{self.starts}: {' '.join(command)}\n".encode())
        self._log_file.flush()
        self._process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        health = f"{self.url}/_stcore/health"
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise StreamlitStartupError(
                    f"streamlit exited with code {self._process.returncode} before it was healthy\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310 (local URL)
                    body = response.read().decode("utf-8", "replace").strip()
                    if response.status == 200 and body == "ok":
                        return
                    last_error = f"HTTP {response.status}: {body!r}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = repr(exc)
            time.sleep(0.2)
        raise StreamlitStartupError(
            f"{health} was not 'ok' within {self._startup_timeout:g} s (last: {last_error})\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate the process (SIGTERM), then kill it if it does not exit in time."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def restart(self, *, keep_port: bool = True) -> StreamlitApp:
        """A new process on the same data directory; by default on the same port, so that the very
        same URL (with its `?c=`) can be reloaded. `keep_port=False` picks a new free port."""
        port = self.port if keep_port else None
        self.stop()
        return self.start(port)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    # diagnostics

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError as exc:
            return f"(no log at {self.log_path}: {exc})"
        tail = text[-chars:]
        return f"--- tail of {self.log_path} ---\n{tail}\n--- end of log ---"

    def __enter__(self) -> StreamlitApp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()
