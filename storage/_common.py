"""Internal helpers shared by the repository modules.

Why this module exists: owner scoping, id parsing, ORM-to-record conversion and
field validation must behave identically in every repository function (and in
import), so they live in one place.  Not part of the public API.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any, TypeGuard

from sqlalchemy import JSON, DateTime, select
from sqlalchemy.orm import Session

from storage.clock import as_utc
from storage.models import Conversation, Message
from storage.records import (
    DEFAULT_TITLE,
    MESSAGE_FIELDS,
    MESSAGE_ROLES,
    MESSAGE_STATUSES,
    TITLE_MAX_LENGTH,
    UPDATABLE_MESSAGE_FIELDS,
    ConversationRecord,
    MessageRecord,
)

# Columns whose values are JSON (the record gets its own copy) or timestamps (read back as UTC).
_JSON_MESSAGE_COLUMNS = tuple(c.name for c in Message.__table__.columns if isinstance(c.type, JSON))
_TIMESTAMP_MESSAGE_COLUMNS = tuple(c.name for c in Message.__table__.columns if isinstance(c.type, DateTime))


def normalize_conversation_id(value: object) -> str | None:
    """Canonical ``xxxxxxxx-xxxx-...`` form of a uuid, or ``None`` if invalid."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def is_int(value: object) -> TypeGuard[int]:
    """True for a plain ``int`` (``bool`` is rejected although it subclasses int)."""
    return isinstance(value, int) and not isinstance(value, bool)


def find_conversation(session: Session, conversation_id: object, owner: str) -> Conversation | None:
    """The ORM conversation if it exists *and* belongs to ``owner``."""
    cid = normalize_conversation_id(conversation_id)
    if cid is None:
        return None
    return session.scalar(select(Conversation).where(Conversation.id == cid, Conversation.owner == owner))


def owned_conversation_id(session: Session, conversation_id: object, owner: str) -> str | None:
    """Like :func:`find_conversation` but only fetches the id."""
    cid = normalize_conversation_id(conversation_id)
    if cid is None:
        return None
    return session.scalar(select(Conversation.id).where(Conversation.id == cid, Conversation.owner == owner))


def conversation_record(row: Conversation) -> ConversationRecord:
    """Detach an ORM conversation into a frozen record."""
    return ConversationRecord(
        id=row.id,
        owner=row.owner,
        title=row.title,
        settings=copy.deepcopy(row.settings) if row.settings else {},
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        message_count=row.message_count,
        leaf_id=row.leaf_id,
        pinned=bool(row.pinned),
        folder_id=row.folder_id,
    )


def message_record(row: Message) -> MessageRecord:
    """Detach an ORM message into a frozen record (every field of MESSAGE_FIELDS)."""
    values = {name: getattr(row, name) for name in MESSAGE_FIELDS}
    for name in _JSON_MESSAGE_COLUMNS:
        values[name] = copy.deepcopy(values[name])
    for name in _TIMESTAMP_MESSAGE_COLUMNS:
        values[name] = as_utc(values[name])
    return MessageRecord(**values)


def clean_title(title: object) -> str:
    """Single-line, trimmed title of at most 200 characters ("New chat" if blank), without control
    characters (PostgreSQL refuses NUL in text, and SQLite's full-text triggers stop at it)."""
    if not isinstance(title, str):
        raise TypeError("title must be a string")
    text = " ".join(title.split())  # every run of whitespace (tabs and line breaks too) is one space
    text = "".join(ch for ch in text if ord(ch) >= 32 and ord(ch) != 127)[:TITLE_MAX_LENGTH].strip()
    return text or DEFAULT_TITLE


def clean_settings(settings: object) -> dict[str, Any]:
    """A JSON-serialisable copy of a settings dict (``None`` means empty)."""
    if settings is None:
        return {}
    if not isinstance(settings, Mapping):
        raise TypeError("settings must be a dict")
    value = dict(settings)
    _require_json("settings", value)
    return copy.deepcopy(value)


def clean_role(role: object) -> str:
    """Validate a message role."""
    if role not in MESSAGE_ROLES:
        raise ValueError(f"role must be one of {sorted(MESSAGE_ROLES)}, got {role!r}")
    return str(role)


def clean_message_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate updatable message fields.

    Unknown names and bad values raise ``ValueError``; values of the wrong type
    raise ``TypeError``.  Messages name the offending field.
    """
    unknown = set(fields) - UPDATABLE_MESSAGE_FIELDS
    if unknown:
        raise ValueError(
            f"unknown message field(s): {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(UPDATABLE_MESSAGE_FIELDS))}"
        )
    return {name: _CLEANERS[name](name, value) for name, value in fields.items()}


def _require_json(name: str, value: object) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be JSON-serialisable ({exc})") from None


def _content(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


def _status(name: str, value: object) -> str:
    if value not in MESSAGE_STATUSES:
        raise ValueError(f"{name} must be one of {sorted(MESSAGE_STATUSES)}, got {value!r}")
    return str(value)


def _json_value(name: str, value: object) -> Any:
    if value is None:
        return None
    if not isinstance(value, (list, dict)):
        raise TypeError(f"{name} must be a list, a dict or None")
    _require_json(name, value)
    return copy.deepcopy(value)


def _json_dict(name: str, value: object) -> Any:
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict or None")
    return _json_value(name, value)


def _short_text(limit: int | None) -> Any:
    def clean(name: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string or None")
        if limit is not None and len(value) > limit:
            raise ValueError(f"{name} must be at most {limit} characters")
        return value

    return clean


def _count(name: str, value: object) -> int | None:
    if value is None:
        return None
    if not is_int(value):
        raise TypeError(f"{name} must be an integer or None")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return int(value)


def _duration(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number or None")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative number")
    return float(value)


_CLEANERS = {
    "content": _content,
    "parts": _json_value,
    "status": _status,
    "model": _short_text(200),
    "params": _json_dict,
    "prompt_tokens": _count,
    "completion_tokens": _count,
    "time_to_first_token_ms": _duration,
    "total_time_ms": _duration,
    "finish_reason": _short_text(32),
    "error": _short_text(None),
}
