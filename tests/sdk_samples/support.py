"""What the runs of the SDKs' own samples and examples share: the local server as a subprocess, a clean
environment, and an in-order check of what a sample printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sdk-samples-test-key"
SAMPLE_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class LocalServer:
    base: str
    key: str
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(process: subprocess.Popen, base: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"{base}/info", headers={"api-key": API_KEY})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"local server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"local server did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def serve_local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """`python -m localserver` as a subprocess, with an API key and streaming as fast as possible."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("localserver") / "server.log"
    command = [
        sys.executable,
        "-m",
        "localserver",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api-key",
        API_KEY,
        "--words-per-second",
        "0",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT, env=base_env())
    try:
        wait_until_ready(process, base, log)
        yield LocalServer(base=base, key=API_KEY, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def base_env() -> dict[str, str]:
    """The parent's environment without anything Azure-related, plus plumbing that is not sample configuration."""
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith(("AZURE_", "LOCALSERVER_", "OPENAI_"))}
    env.update(PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def assert_in_order(output: str, fragments: tuple[str, ...]) -> None:
    position = 0
    for fragment in fragments:
        found = output.find(fragment, position)
        assert found >= 0, f"expected {fragment!r} after position {position} in stdout:\n{output}"
        position = found + len(fragment)
