"""Exceptions raised by the storage layer.

Why this module exists: callers (the Streamlit pages, import/export UI) need to
tell "that conversation is gone or not yours", "that file is not a valid
export" and "the database is away for now" apart from programming errors,
without importing SQLAlchemy (storage/database.py decides what counts as an
outage).
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


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or stays locked; the same write can be tried again later."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class CollectionNotFound(StorageError, LookupError):
    """The saved collection does not exist or belongs to another owner (both look the same)."""

    def __init__(self, collection_id: object) -> None:
        super().__init__(f"Collection not found: {collection_id!r}")
        self.collection_id = collection_id


class CollectionNameTaken(StorageError, ValueError):
    """The owner already has a collection of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A collection named {name!r} already exists.")
        self.name = name


class FolderNotFound(StorageError, LookupError):
    """The folder does not exist or belongs to another owner (both look the same)."""

    def __init__(self, folder_id: object) -> None:
        super().__init__(f"Folder not found: {folder_id!r}")
        self.folder_id = folder_id


class FolderNameTaken(StorageError, ValueError):
    """The owner already has a folder of that name in the same place."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A folder named {name!r} is already there.")
        self.name = name


class FolderCycle(StorageError, ValueError):
    """A folder cannot move into itself or into one of its own subfolders."""

    def __init__(self, folder_id: object) -> None:
        super().__init__("A folder cannot move into itself or into one of its subfolders.")
        self.folder_id = folder_id
