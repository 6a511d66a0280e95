"""The storage API used by the app: conversations and messages per owner.

Why this module exists: it is the one import the UI needs.  Every function
takes a ``Session`` first, never commits (wrap calls in
``with Session.begin() as session:``), is scoped to an ``owner`` (another
owner's conversation behaves exactly like a missing one) and returns frozen
records from :mod:`storage.records`, never ORM objects.  The implementations
live in small modules: :mod:`storage.conversations`, :mod:`storage.folders`, :mod:`storage.messages`,
:mod:`storage.transfer` and :mod:`storage.shares` (share links: the one function not scoped to
an owner is `open_share`, by the link's token).
"""

from __future__ import annotations

from storage.branches import branch_messages, end_branch_at, leaf_id, replies_to, reveal_message, show_branch, siblings
from storage.collections import (
    delete_collection,
    get_collection,
    list_collections,
    open_collection,
    rename_collection,
    save_collection,
)
from storage.conversations import (
    create_conversation,
    delete_conversation,
    get_conversation,
    list_conversations,
    rename_conversation,
    set_pinned,
    touch,
    update_conversation_settings,
)
from storage.errors import (
    CollectionNameTaken,
    CollectionNotFound,
    ConversationNotFound,
    FolderCycle,
    FolderNameTaken,
    FolderNotFound,
    InvalidImport,
    MessageNotFound,
)
from storage.folders import (
    create_folder,
    delete_folder,
    get_folder,
    list_folder_conversations,
    list_folders,
    move_folder,
    rename_folder,
    set_conversation_folder,
    set_folder_defaults,
)
from storage.health import ping
from storage.messages import (
    CURRENT_LEAF,
    add_message,
    count_messages,
    get_message,
    list_messages,
    mark_streaming_as_interrupted,
    update_message,
)
from storage.records import (
    CollectionContents,
    CollectionRecord,
    ConversationPage,
    ConversationRecord,
    FolderRecord,
    MessageRecord,
    NewShare,
    ShareContents,
    ShareRecord,
)
from storage.shares import create_share, list_shares, open_share, revoke_share
from storage.transfer import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    export_conversation,
    import_conversation,
)

__all__ = [
    "FolderCycle",
    "FolderNameTaken",
    "FolderNotFound",
    "FolderRecord",
    "create_folder",
    "delete_folder",
    "get_folder",
    "list_folder_conversations",
    "list_folders",
    "move_folder",
    "rename_folder",
    "set_conversation_folder",
    "set_folder_defaults",
    "CollectionContents",
    "CollectionNameTaken",
    "CollectionNotFound",
    "CollectionRecord",
    "delete_collection",
    "get_collection",
    "list_collections",
    "open_collection",
    "rename_collection",
    "save_collection",
    "CURRENT_LEAF",
    "branch_messages",
    "end_branch_at",
    "leaf_id",
    "reveal_message",
    "replies_to",
    "show_branch",
    "siblings",
    "set_pinned",
    "NewShare",
    "ShareContents",
    "ShareRecord",
    "create_share",
    "list_shares",
    "open_share",
    "revoke_share",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ConversationNotFound",
    "ConversationPage",
    "ConversationRecord",
    "InvalidImport",
    "MessageNotFound",
    "MessageRecord",
    "add_message",
    "count_messages",
    "create_conversation",
    "delete_conversation",
    "export_conversation",
    "get_conversation",
    "get_message",
    "import_conversation",
    "list_conversations",
    "list_messages",
    "mark_streaming_as_interrupted",
    "ping",
    "rename_conversation",
    "touch",
    "update_conversation_settings",
    "update_message",
]
