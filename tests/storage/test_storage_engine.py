"""Engine construction: SQLite pragmas, URL handling and database location."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from storage.engine import default_database_url, make_engine, make_sessionmaker


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_sqlite_engine_creates_missing_parent_directory(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'portal.db'}")
    try:
        with engine.connect():
            pass
        assert (tmp_path / "nested" / "dir" / "portal.db").exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:"])
def test_in_memory_sqlite_is_rejected_with_an_explanation(url: str) -> None:
    with pytest.raises(ValueError, match="In-memory SQLite is not supported"):
        make_engine(url)


def test_unsupported_backend_is_rejected() -> None:
    with pytest.raises(ValueError, match="Unsupported database backend"):
        make_engine("mysql://user@localhost/db")


@pytest.mark.parametrize("url", ["postgresql://u:s3cret@db.example/x", "postgres://u:s3cret@db.example/x"])
def test_plain_postgresql_url_uses_psycopg_and_hides_password_in_logs(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="storage.engine"):
        engine = make_engine(url)  # no connection is made
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.pool._pre_ping is True  # type: ignore[attr-defined]
        assert "db.example" in caplog.text
        assert "s3cret" not in caplog.text
    finally:
        engine.dispose()


def test_default_database_url_prefers_database_url_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db/portal")
    assert default_database_url(tmp_path) == "postgresql+psycopg://app@db/portal"


def test_default_database_url_uses_data_dir_and_creates_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "ignored"))
    data_dir = tmp_path / "explicit"
    url = default_database_url(data_dir)
    assert data_dir.is_dir()
    assert url == f"sqlite:///{(data_dir / 'portal.db').resolve().as_posix()}"


def test_default_database_url_falls_back_to_portal_data_dir_then_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "env-dir"))
    assert default_database_url().endswith("/env-dir/portal.db")

    monkeypatch.delenv("PORTAL_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    assert default_database_url().endswith(f"{tmp_path.name}/data/portal.db")
    assert (tmp_path / "data").is_dir()


def test_sessionmaker_keeps_objects_loaded_after_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    try:
        assert make_sessionmaker(engine).kw["expire_on_commit"] is False
    finally:
        engine.dispose()
