"""Persistence layer for the chat portal: conversations and messages in SQL.

Why this package exists: chat history has to survive restarts and be shared by
several app processes, without tying the UI to a database library.  The rest of
the app talks to :mod:`storage.repository`, which returns plain frozen
dataclasses (:mod:`storage.records`) instead of ORM objects, so nothing outside
this package needs to know about SQLAlchemy sessions or lazy loading.

The package never imports Streamlit, so it can be used from scripts, tests and
the local inference server alike.  Importing ``storage`` itself is cheap: the
submodules (engine, migrations, repository) are imported on demand.
"""

from storage.errors import (
    CollectionNameTaken,
    CollectionNotFound,
    ConversationNotFound,
    DatabaseUnavailable,
    FolderCycle,
    FolderNameTaken,
    FolderNotFound,
    InvalidImport,
    MessageNotFound,
    StorageError,
)
from storage.records import ConversationPage, ConversationRecord, MessageRecord

__all__ = [
    "CollectionNameTaken",
    "CollectionNotFound",
    "ConversationNotFound",
    "ConversationPage",
    "ConversationRecord",
    "DatabaseUnavailable",
    "FolderCycle",
    "FolderNameTaken",
    "FolderNotFound",
    "InvalidImport",
    "MessageNotFound",
    "MessageRecord",
    "StorageError",
]
