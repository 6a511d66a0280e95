"""The type checker: mypy, configured in pyproject.toml ([tool.mypy]), finds no error in the app code.

Part of the test suite so that the README's test command (`python3 dev.py test`, which CI runs) runs it;
mypy is in requirements-dev.txt, so a missing mypy fails here instead of skipping.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.test_architecture import APP_DIRS

ROOT = Path(__file__).resolve().parent.parent


def test_the_type_checker_covers_every_app_package():
    checked = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    assert set(APP_DIRS) | {"streamlit_app.py"} <= set(checked)


def test_mypy_finds_no_type_errors():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"mypy (exit {result.returncode}):\n{result.stdout}{result.stderr}"
    assert result.stdout.startswith("Success: no issues found in "), result.stdout
