"""Exceptions raised by the storage layer.

Why this module exists: callers (the Streamlit pages, import/export UI) need to
tell "that conversation is gone or not yours" and "that file is not a valid
export" apart from programming errors, without importing SQLAlchemy.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class for expected, user-facing storage failures."""


class ConversationNotFound(StorageError, LookupError):
    """The conversation does not exist or belongs to another owner.

    Both cases deliberately look the same, so one user cannot probe for the
    existence of another user's conversations.
    """

    def __init__(self, conversation_id: object) -> None:
        super().__init__(f"Conversation not found: {conversation_id!r}")
        self.conversation_id = conversation_id


class MessageNotFound(StorageError, LookupError):
    """The message does not exist or belongs to another owner's conversation."""

    def __init__(self, message_id: object) -> None:
        super().__init__(f"Message not found: {message_id!r}")
        self.message_id = message_id


class InvalidImport(StorageError, ValueError):
    """An imported conversation file has the wrong shape.

    ``str(exc)`` is a human-readable explanation suitable for showing in the UI.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
