"""UTC timestamps for rows, strictly increasing within one process.

Why this module exists: the sidebar orders conversations by ``updated_at``.
Two writes in the same microsecond (fast machines, coarse clocks on Windows)
would otherwise get equal timestamps and an arbitrary order.  All timestamps
are timezone-aware UTC; SQLite hands them back naive, so ``as_utc`` restores
the zone on the way out.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_last = datetime.min.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Current UTC time, never equal to or earlier than the previous call."""
    global _last
    with _lock:
        now = datetime.now(UTC)
        if now <= _last:
            now = _last + timedelta(microseconds=1)
        _last = now
        return now


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
