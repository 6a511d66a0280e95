"""`streamlit run streamlit_app.py` with a warm-up (what `python3 dev.py app` runs).

The first page a fresh process serves imports SQLAlchemy, Alembic, the SDKs, the local server's
FastAPI app and more (about a second here). A plain `streamlit run` does that only once the browser
has loaded Streamlit's frontend and connected, so the first visitor waits for both, one after the
other. Here a daemon thread imports them as soon as Streamlit's server is up, while the browser is
still loading the frontend; the page then finds them imported. Nothing else changes: the same
script, the same flags (`python -m serve --server.port 8502` passes them to `streamlit run`).
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SCRIPT = ROOT / "streamlit_app.py"

# What the first page imports on its first run, heaviest first (checked by tests/test_serve.py).
WARM_MODULES = (
    "storage.repository",  # SQLAlchemy
    "storage.migrate",  # Alembic
    "portal.chat_service",
    "components.services",
    "components.share_view",
    "components.connection",
    "components.message_view",
    "components.reply_view",
    "components.chat_header",
    "components.conversation_sidebar",
    "portal.inference.azure_backend",  # the Azure SDK (its only importer), for the offline demo's connection
    "localserver.app",  # FastAPI, for the offline demo's server
    "numpy",
    "PIL.Image",  # Streamlit's page_icon
)

logger = logging.getLogger("portal.serve")


def server_started() -> bool:
    """True once Streamlit's runtime accepts browser connections."""
    from streamlit.runtime import Runtime, RuntimeState

    return Runtime.exists() and Runtime.instance().state not in (RuntimeState.INITIAL, RuntimeState.STOPPED)


def warm_up(
    modules: Iterable[str] = WARM_MODULES,
    ready: Callable[[], bool] = server_started,
    poll_seconds: float = 0.02,
    timeout_seconds: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Wait until `ready()`, then import `modules`; returns those that failed to import (the page
    imports them again and shows any error itself)."""
    deadline = clock() + timeout_seconds
    while not ready():
        if clock() > deadline:
            return list(modules)
        sleep(poll_seconds)
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the app
            logger.debug("warm-up: %s not imported: %s", name, exc)
            failed.append(name)
    return failed


def warm_up_and_report() -> None:
    """The warm-up thread: one line on stderr (the app's log) says what it did."""
    started = time.monotonic()
    modules = list(WARM_MODULES)
    failed = warm_up(modules)
    done = len(modules) - len(failed)
    print(f"Warm-up: {done} of {len(modules)} modules imported in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    threading.Thread(target=warm_up_and_report, name="portal-warm-up", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(SCRIPT), *argv]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
