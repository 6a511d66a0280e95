"""Helpers shared by the storage tests (kept out of conftest so tests can import them).

Why this module exists: some tests need more than one engine on the same
isolated database (concurrent migrations, concurrent writers), so the fixture
hands out a ``TestDatabase`` that can create engines and cleans them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from storage.engine import make_engine


@dataclass
class TestDatabase:
    """An isolated, initially empty database; hands out engines bound to it."""

    __test__ = False  # not a test class, despite the name

    backend: str
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    engines: list[Engine] = field(default_factory=list)

    def new_engine(self) -> Engine:
        """A new engine (own connection pool) on this database."""
        engine = make_engine(self.url, connect_args=self.connect_args)
        self.engines.append(engine)
        return engine

    def dispose(self) -> None:
        """Close every pooled connection opened through this object."""
        for engine in self.engines:
            engine.dispose()
