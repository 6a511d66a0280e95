"""Export a conversation to a JSON-ready dict and import it back.

Why this module exists: users download conversations and upload them again
(possibly into another portal, as another user, or after editing the file by
hand), so the file format is versioned, the import validates every field with
readable error messages, and nothing from the file is trusted for identity:
an import always creates a new conversation owned by the importing user.
Folders stay behind: an export does not name the conversation's folder (the file may go to another
portal or user, where it means nothing), and an import lands in no folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage._common import (
    clean_message_fields,
    clean_role,
    clean_settings,
    clean_title,
    conversation_record,
    find_conversation,
)
from storage.clock import as_utc, utcnow
from storage.errors import ConversationNotFound, InvalidImport
from storage.messages import list_messages
from storage.models import Conversation, Message
from storage.records import DEFAULT_TITLE, MESSAGE_VALUES, ConversationRecord, MessageRecord, MessageStatus

EXPORT_FORMAT = "azure-ai-portal.conversation"
EXPORT_VERSION = 2  # 2: messages carry `parent` (an index into the list) and the conversation its `leaf`
READABLE_VERSIONS = (1, 2)  # version 1 files are one branch: each message follows the one before


def export_conversation(session: Session, conversation_id: str, *, owner: str = "") -> dict[str, Any]:
    """A JSON-serialisable snapshot of the conversation and all its messages.

    Raises ``ConversationNotFound`` for an unknown or foreign conversation.
    """
    row = find_conversation(session, conversation_id, owner)
    if row is None:
        raise ConversationNotFound(conversation_id)
    conversation = conversation_record(row)
    messages = list_messages(session, conversation.id, owner=owner)
    position = {message.id: index for index, message in enumerate(messages)}
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": utcnow().isoformat(),
        "conversation": {
            "id": conversation.id,
            "title": conversation.title,
            "settings": conversation.settings,
            "created_at": conversation.created_at.isoformat(),
            "updated_at": conversation.updated_at.isoformat(),
            "message_count": len(messages),
            "leaf": position.get(conversation.leaf_id) if conversation.leaf_id is not None else None,
        },
        "messages": [
            {**_export_message(message), "parent": position.get(message.parent_id) if message.parent_id is not None else None}
            for message in messages
        ],
    }


def import_conversation(session: Session, data: Mapping[str, Any], *, owner: str = "") -> ConversationRecord:
    """Create a new conversation for ``owner`` from an exported dict.

    Ids and owner in the file are ignored.  Messages still marked
    ``streaming`` are imported as ``incomplete``.  Raises ``InvalidImport``
    with a human-readable message when the data has the wrong shape.
    """
    parsed = _parse(data)
    now = utcnow()
    conversation = Conversation(
        id=str(uuid.uuid4()),
        owner=owner,
        title=parsed.title,
        settings=parsed.settings,
        created_at=parsed.created_at or now,
        updated_at=now,
        message_count=len(parsed.messages),
    )
    session.add(conversation)
    session.flush()
    rows = [Message(conversation_id=conversation.id, **fields) for fields in parsed.messages]
    session.add_all(rows)
    session.flush()  # one batched INSERT; the ids it assigns are needed for the links below
    for row, parent in zip(rows, parsed.parents):  # a parent comes before its children
        if parent is not None:
            row.parent_id, row.depth = rows[parent].id, rows[parent].depth + 1
    if parsed.leaf is not None:
        conversation.leaf_id = rows[parsed.leaf].id
    session.flush()
    return conversation_record(conversation)


@dataclass(frozen=True, slots=True)
class _Parsed:
    title: str
    settings: dict[str, Any]
    created_at: datetime | None
    messages: list[dict[str, Any]]
    parents: list[int | None]  # each message's parent, as an index into `messages`
    leaf: int | None


def _export_message(message: MessageRecord) -> dict[str, Any]:
    exported = {name: getattr(message, name) for name in MESSAGE_VALUES}
    exported["created_at"] = message.created_at.isoformat()
    exported["updated_at"] = message.updated_at.isoformat()
    return exported


def _parse(data: object) -> _Parsed:
    if not isinstance(data, Mapping):
        raise InvalidImport("The file does not contain a conversation (expected a JSON object).")
    if data.get("format") != EXPORT_FORMAT:
        raise InvalidImport(f'This is not a conversation export (the "format" field must be {EXPORT_FORMAT!r}).')
    version = data.get("version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise InvalidImport(f"Unsupported export version {version!r}; this portal reads versions 1 and {EXPORT_VERSION}.")
    conversation = data.get("conversation")
    if not isinstance(conversation, Mapping):
        raise InvalidImport('The "conversation" field must be an object.')
    messages = data.get("messages")
    if not isinstance(messages, list):
        raise InvalidImport('The "messages" field must be a list.')
    try:
        title = clean_title(conversation.get("title", DEFAULT_TITLE))
        settings = clean_settings(conversation.get("settings"))
    except (TypeError, ValueError) as exc:
        raise InvalidImport(f"Invalid conversation: {exc}.") from None
    parsed = [_parse_message(index, item) for index, item in enumerate(messages)]
    if version == 1:  # one branch
        parents: list[int | None] = [index - 1 if index else None for index in range(len(parsed))]
        leaf = None
    else:
        parents = [_index(item.get("parent"), index, f"messages[{index}].parent") for index, item in enumerate(messages)]
        leaf = _index(conversation.get("leaf"), len(parsed), "conversation.leaf")
    return _Parsed(
        title=title,
        settings=settings,
        created_at=_timestamp(conversation.get("created_at"), "conversation.created_at"),
        messages=parsed,
        parents=parents,
        leaf=leaf,
    )


def _index(value: object, bound: int, where: str) -> int | None:
    """An index into the message list below `bound` (a parent comes before its children), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise InvalidImport(f"{where} must be the index of an earlier message (0 to {bound - 1}) or null, got {value!r}.")
    return value


def _parse_message(index: int, item: object) -> dict[str, Any]:
    where = f"messages[{index}]"
    if not isinstance(item, Mapping):
        raise InvalidImport(f"{where} must be an object.")
    fields = {name: item[name] for name in MESSAGE_VALUES if name in item}
    fields.setdefault("status", MessageStatus.COMPLETE)
    if fields["status"] == MessageStatus.STREAMING:
        fields["status"] = MessageStatus.INCOMPLETE
    try:
        role = clean_role(fields.pop("role", None))
        cleaned = clean_message_fields(fields)
    except (TypeError, ValueError) as exc:
        raise InvalidImport(f"Invalid {where}: {exc}.") from None
    now = utcnow()
    created = _timestamp(item.get("created_at"), f"{where}.created_at") or now
    updated = _timestamp(item.get("updated_at"), f"{where}.updated_at") or created
    return {"role": role, **cleaned, "created_at": created, "updated_at": updated}


def _timestamp(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise InvalidImport(f"{where} must be an ISO 8601 timestamp, got {value!r}.")
