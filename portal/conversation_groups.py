"""The sidebar's date groups: Pinned, Today, Yesterday, Previous 7 days, Older.

Dates are the user's own: `timezone` is the browser's (st.context.timezone), so a conversation from
23:30 local time is "Today" even when the server's UTC date has moved on. Pure functions of the
conversations and a `now`, so tests pass their own clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.records import ConversationRecord

PINNED, TODAY, YESTERDAY, WEEK, OLDER = "Pinned", "Today", "Yesterday", "Previous 7 days", "Older"
GROUPS = (PINNED, TODAY, YESTERDAY, WEEK, OLDER)


def zone(name: str | None) -> tzinfo:
    """The browser's time zone by IANA name; UTC when unknown or unsent."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def group_of(conversation: ConversationRecord, now: datetime, timezone: tzinfo) -> str:
    if conversation.pinned:
        return PINNED
    today = now.astimezone(timezone).date()
    day = conversation.updated_at.astimezone(timezone).date()
    if day >= today:
        return TODAY
    if day == today - timedelta(days=1):
        return YESTERDAY
    if day >= today - timedelta(days=7):
        return WEEK
    return OLDER


def grouped(conversations: Iterable[ConversationRecord], now: datetime, timezone: tzinfo) -> list[tuple[str, list[ConversationRecord]]]:
    """(group, conversations) in the list's order, groups in GROUPS order, empty groups left out."""
    buckets: dict[str, list[ConversationRecord]] = {name: [] for name in GROUPS}
    for conversation in conversations:
        buckets[group_of(conversation, now, timezone)].append(conversation)
    return [(name, items) for name, items in buckets.items() if items]
