"""The leak search itself can fail: it finds a planted secret in the forms a leak would take."""

from __future__ import annotations

import base64
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.security.leak_scan import Evidence, find_leaks

SECRET = "planted-key-7f3a9c2e0123456789abcdef0123"


def test_a_secret_written_to_a_sqlite_wal_database_is_found_in_its_raw_files(tmp_path: Path) -> None:
    database = tmp_path / "portal.db"
    with closing(sqlite3.connect(database)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA wal_autocheckpoint=0")  # keep the row in the -wal file, as a running app may
        db.execute("CREATE TABLE messages (content TEXT)")
        db.execute("INSERT INTO messages VALUES (?)", (f"the key is {SECRET}",))
        db.commit()
        evidence = Evidence()
        for path in sorted(tmp_path.glob("portal.db*")):
            evidence.add_file("database file", path)
        assert any(hit.startswith("database file (portal.db-wal)") for hit in find_leaks(evidence, SECRET))


@pytest.mark.parametrize(
    "leak",
    [
        f"2026-01-01 DEBUG request headers {{'api-key': '{SECRET}'}}",
        json.dumps({"authorization": f"Bearer {SECRET}"}),
        "Authorization: Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode(),
        base64.b64encode(f"x{SECRET}yz".encode()).decode(),
        f"<td>API key {SECRET[:-4]}…</td>",  # a mask that shows too much
    ],
)
def test_a_secret_in_any_usual_form_is_found(leak: str) -> None:
    evidence = Evidence()
    evidence.add("process log", b"\x00binary prefix " + leak.encode() + b" suffix")
    assert find_leaks(evidence, SECRET)


def test_the_masked_form_and_unrelated_text_are_not_leaks() -> None:
    evidence = Evidence()
    evidence.add("page HTML", f"<td>API key ••••{SECRET[-4:]}</td> planted-key-7f3a")
    evidence.add("websocket frame received", b"\x08\x01\x12\x04text")
    assert find_leaks(evidence, SECRET) == []
