"""Benchmark 6: `streamlit run` to the first page interactive (chat input visible in Chromium)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .browser import launch_browser
from .common import Result, median, wait_until_idle

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(script: str = "streamlit_app.py", env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_INFERENCE_")}
    env.setdefault("PORTAL_DATA_DIR", tempfile.mkdtemp(prefix="bench-data-"))
    env.update(env_extra or {})
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}", started


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def time_to_interactive(browser, repeats: int = 3) -> list[float]:
    timings = []
    for _ in range(repeats):
        wait_until_idle()  # the previous run's app has shut down
        process, url, started = start_app()
        try:
            page = browser.new_page()
            deadline = time.monotonic() + 60
            while True:
                try:
                    page.goto(url, timeout=2000)
                    break
                except Exception:  # noqa: BLE001 - the server is not listening yet
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            page.locator('[data-testid="stChatInputTextArea"]').wait_for(state="visible", timeout=60000)
            timings.append((time.perf_counter() - started) * 1000)
            page.close()
        finally:
            stop_app(process)
    return timings


def run(repeats: int = 5, quick: bool = False) -> list[Result]:
    repeats = 1 if quick else repeats
    with launch_browser() as browser:
        timings = time_to_interactive(browser, repeats)
    value = median(timings)
    return [Result(6, f"`streamlit run` to first page interactive (median of {repeats})", value, "ms", "< 4,000 ms", value < 4000, extra={"runs_ms": timings})]
