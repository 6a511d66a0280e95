"""serve.py: `streamlit run streamlit_app.py` with the first page's imports warmed up (what `dev.py app`,
the browser tests and deploy/team.py start). Its speed is benchmark 6's; here, what it does."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import serve
from tests.streamlit_process import StreamlitApp

ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_every_warm_module_imports():
    assert serve.warm_up(ready=lambda: True) == []


def test_the_warm_up_imports_the_heavy_libraries_of_the_first_page():
    """In a fresh interpreter: after the warm-up, the libraries that made the first page slow are loaded."""
    heavy = ("sqlalchemy", "alembic", "azure.ai.inference", "fastapi", "numpy", "PIL.Image", "pydantic_settings")
    code = (
        "import sys, serve\n"
        f"before = [m for m in {heavy!r} if m in sys.modules]\n"
        "failed = serve.warm_up(ready=lambda: True)\n"
        f"after = [m for m in {heavy!r} if m in sys.modules]\n"
        "print(before, failed, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"[] [] {list(heavy)!r}"


def test_it_waits_for_the_server_before_importing():
    clock = FakeClock()
    answers = iter([False, False, True])
    failed = serve.warm_up(["json"], ready=lambda: next(answers), poll_seconds=0.02, clock=clock, sleep=clock.sleep)
    assert failed == []
    assert clock.sleeps == [0.02, 0.02]


def test_it_gives_up_when_the_server_never_starts():
    clock = FakeClock()
    failed = serve.warm_up(["json"], ready=lambda: False, poll_seconds=1.0, timeout_seconds=5.0, clock=clock, sleep=clock.sleep)
    assert failed == ["json"]
    assert len(clock.sleeps) == 6  # polled until past the deadline, then stopped


def test_a_module_that_fails_to_import_does_not_stop_the_others():
    assert serve.warm_up(["portal.no_such_module", "json"], ready=lambda: True) == ["portal.no_such_module"]


def test_the_launched_app_warms_up_once_its_server_is_up():
    """`python -m serve` (what the browser tests start too): the warm-up sees Streamlit's server start
    and imports every module; were `server_started` never true, it would give up after a minute."""
    with StreamlitApp({}) as app:
        deadline = time.monotonic() + 30
        while "Warm-up:" not in (log := app.log_path.read_text("utf-8", "replace")) and time.monotonic() < deadline:
            time.sleep(0.1)
    lines = [line for line in log.splitlines() if line.startswith("Warm-up:")]
    assert len(lines) == 1 and lines[0].startswith(f"Warm-up: {len(serve.WARM_MODULES)} of {len(serve.WARM_MODULES)} modules imported")
