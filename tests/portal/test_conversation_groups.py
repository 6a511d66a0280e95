"""The sidebar's date groups, in the user's time zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from portal.conversation_groups import grouped, zone
from storage.records import ConversationRecord

NOW = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 00:30 on the 5th in Berlin


def conversation(title: str, updated: datetime, pinned: bool = False) -> ConversationRecord:
    return ConversationRecord(
        id=title, owner="", title=title, settings={}, created_at=updated, updated_at=updated, message_count=0, pinned=pinned
    )


def test_groups_follow_the_calendar_days_of_the_browser() -> None:
    items = [
        conversation("just now", NOW - timedelta(minutes=5)),
        conversation("an hour ago", NOW - timedelta(hours=1)),
        conversation("two days ago", NOW - timedelta(days=2)),
        conversation("a month ago", NOW - timedelta(days=30)),
    ]

    in_utc = grouped(items, NOW, zone("UTC"))
    in_berlin = grouped(items, NOW, zone("Europe/Berlin"))

    assert [(name, [c.title for c in group]) for name, group in in_utc] == [
        ("Today", ["just now", "an hour ago"]),
        ("Previous 7 days", ["two days ago"]),
        ("Older", ["a month ago"]),
    ]
    # After midnight in Berlin, 23:25 UTC is today and 22:30 UTC yesterday.
    assert [(name, [c.title for c in group]) for name, group in in_berlin][:2] == [("Today", ["just now"]), ("Yesterday", ["an hour ago"])]


def test_pinned_conversations_form_the_first_group_and_unknown_zones_fall_back_to_utc() -> None:
    old = conversation("old but pinned", NOW - timedelta(days=90), pinned=True)
    new = conversation("new", NOW)

    assert [(name, [c.title for c in group]) for name, group in grouped([new, old], NOW, zone("Mars/Olympus"))] == [
        ("Pinned", ["old but pinned"]),
        ("Today", ["new"]),
    ]
    assert zone(None) == zone("UTC")
    assert grouped([replace(new, pinned=False)], NOW, zone("")) == [("Today", [new])]
