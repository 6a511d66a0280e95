"""Streamlit apps under `streamlit run` for the browser benchmarks: the portal and the baselines.

Each app gets its own port and data directory; `endpoint=` points it at the benchmark's local
inference server (so the benchmark can read the server's per-request timings) instead of the
offline server the portal would start in its own process. Output goes to a log file whose tail is
part of any startup error.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = "streamlit_app.py"
BASELINE_CHAT = "bench/baseline_chat_app.py"
BASELINE_FULL_HISTORY = "bench/baseline_full_history_app.py"
BASELINE_RECENT_HISTORY = "bench/baseline_recent_history_app.py"
BASELINE_EMPTY = "bench/baseline_empty_app.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (VmRSS), NaN if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class App:
    """One `streamlit run <script>` process; use as a context manager."""

    def __init__(
        self, script: str, *, data_dir: Path | None = None, endpoint: str | None = None, env: dict[str, str] | None = None
    ):
        self.script = script
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="bench-data-"))
        self.port = free_port()
        self.log_path = Path(tempfile.mkstemp(prefix="bench-streamlit-", suffix=".log")[1])
        self.environment = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AZURE_INFERENCE_") and k not in ("DATABASE_URL", "PORTAL_DATA_DIR")
        }
        self.environment.update({"PORTAL_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1"})
        if endpoint:
            self.environment.update(
                {"AZURE_INFERENCE_ENDPOINT": endpoint, "AZURE_INFERENCE_AUTH": "none", "BENCH_ENDPOINT": endpoint}
            )
        self.environment.update(env or {})
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> App:
        command = [
            sys.executable, "-m", "streamlit", "run", self.script,
            "--server.port", str(self.port), "--server.headless", "true", "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        self.started_at = time.perf_counter()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.script} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.script} was not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid) if self.process is not None else float("nan")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def __enter__(self) -> App:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
