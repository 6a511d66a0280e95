"""`components.resources.reset_resources()`: what the app cached for every session is released for
real (the SQLite file closed, the maintenance thread ended, the offline server no longer listening),
and the next run builds it afresh."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

from components import resources
from tests.apptest import PortalApp


def open_files_under(directory: Path) -> list[str]:
    """Files of `directory` this process holds open (the database, its WAL and shared-memory files)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile (the listing's own descriptor)
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


def listening(url: str) -> bool:
    address = urlsplit(url)
    with socket.socket() as sock:
        return sock.connect_ex((address.hostname, address.port)) == 0


def maintenance_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.endswith("-maintenance") and t.is_alive()}


def test_reset_resources_closes_the_database_and_stops_the_offline_server(portal_app: PortalApp) -> None:
    others = maintenance_threads()  # of other tests' engines, if any
    portal_app.open()  # the offline demo: the bundled server and a SQLite file in the data dir
    server_url = resources.offline_server().url
    database = portal_app.data_dir / "portal.db"
    assert database.exists()
    assert open_files_under(portal_app.data_dir)
    assert listening(server_url)
    (upkeep,) = maintenance_threads() - others
    assert upkeep.name == "sqlite-maintenance"

    resources.reset_resources()

    assert open_files_under(portal_app.data_dir) == []
    assert not listening(server_url)
    assert not upkeep.is_alive()
    # The next run starts over: a new server, the same database file open again.
    portal_app.open()
    assert resources.offline_server().url != server_url
    assert open_files_under(portal_app.data_dir)
