"""Whether the database answers: the one query both services send while it is away."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_PING = text("SELECT 1")


def ping(session: Session) -> None:
    """One round trip; raises the driver's error when the database is unreachable or locked."""
    session.execute(_PING)
