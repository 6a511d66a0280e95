"""Benchmark 6: cold start, launch to the first page interactive, portal vs an empty Streamlit app.

For each run a fresh `streamlit run` process: the portal as `python3 dev.py app` starts it, with a fresh
data directory (the database is created and migrated, and the bundled offline server started, as on a
first start), and the empty app. Until, in Chromium, the page is usable: the portal's chat input
visible, or the empty app's one line of text (`bench/baseline_empty_app.py`) on screen. The clock
starts before the process is spawned, so it includes the interpreter, Streamlit's own imports and
server start, the browser's page load and the first script run. The two apps alternate (their order
swapping every round), each run on a quiet machine. Absolute times drift by a third on this machine;
the ratio to the empty app's cold start in the same run does not, so that is the target: at most 1.5x.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .apps import BASELINE_EMPTY, PORTAL
from .browser import launch_browser
from .common import Result, median, spread, wait_until_idle

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 9
TARGET_VS_EMPTY = 1.5
READY = {PORTAL: '[data-testid="stChatInputTextArea"]', BASELINE_EMPTY: "text=empty-page-ready"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(script: str = PORTAL, env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_INFERENCE_") and k != "DATABASE_URL"}
    env["PORTAL_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-data-")
    env.update(env_extra or {})
    command = [
        sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
    ]  # fmt: skip
    log = tempfile.NamedTemporaryFile(prefix="bench-startup-", suffix=".log", delete=False)  # noqa: SIM115 - read on failure
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log.name  # type: ignore[attr-defined]
    return process, f"http://127.0.0.1:{port}", started


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def cold_start(browser, script: str) -> float:
    """One `streamlit run <script>` until its first page is usable in Chromium, in ms."""
    wait_until_idle()  # the previous run's app has shut down
    process, url, started = start_app(script)
    try:
        page = browser.new_page()
        deadline = time.monotonic() + 60
        while True:
            try:
                page.goto(url, timeout=2000)
                break
            except Exception:  # noqa: BLE001 - the server is not listening yet
                if process.poll() is not None or time.monotonic() > deadline:
                    log = Path(process.log_path).read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]
                    raise RuntimeError(f"{script} did not serve its page (exit code {process.poll()}):\n{log}") from None
                time.sleep(0.05)
        page.locator(READY[script]).first.wait_for(state="visible", timeout=60_000)
        elapsed = (time.perf_counter() - started) * 1000
        page.close()
        return elapsed
    finally:
        stop_app(process)


def time_to_interactive(browser, repeats: int) -> dict[str, list[float]]:
    """Cold starts of the portal and the empty app, alternating, the order swapped every round."""
    timings: dict[str, list[float]] = {PORTAL: [], BASELINE_EMPTY: []}
    for attempt in range(repeats):
        order = (PORTAL, BASELINE_EMPTY) if attempt % 2 == 0 else (BASELINE_EMPTY, PORTAL)
        for script in order:
            timings[script].append(cold_start(browser, script))
            print(f"  [startup] {script}: {timings[script][-1]:,.0f} ms", flush=True)
    return timings


def run(repeats: int = REPEATS, quick: bool = False) -> list[Result]:
    repeats = 1 if quick else repeats
    with launch_browser() as browser:
        timings = time_to_interactive(browser, repeats)
    portal, empty = timings[PORTAL], timings[BASELINE_EMPTY]
    value, base = median(portal), median(empty)
    ratio = value / base if base > 0 else None
    return [
        Result(
            6, "launch to first page interactive (`dev.py app` vs `streamlit run` of an empty app)", value, "ms",
            f"≤ {TARGET_VS_EMPTY:g}x the empty app", ratio is not None and ratio <= TARGET_VS_EMPTY,
            baseline=base, ratio=ratio, note="ratio = portal / empty app (one line of text), same run, interleaved",
            extra={"portal_ms": portal, "empty_ms": empty}, spread=spread(portal, empty),
        )
    ]  # fmt: skip
