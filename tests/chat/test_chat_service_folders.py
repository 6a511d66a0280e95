"""ChatService's folder use cases on a real database (SQLite file and PostgreSQL): a new conversation
lands in the folder it was started in, also through the outbox, and never fails for a folder deleted
meanwhile. The model is never called here, so no backend is needed."""

from __future__ import annotations

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.outbox import Outbox
from tests.chat.support import ChatDatabase


def service_on(chat_db: ChatDatabase, owner: str = "") -> ChatService:
    return ChatService(chat_db.sessions, backend=None, owner=owner)  # type: ignore[arg-type]  # no model calls


def test_a_new_conversation_is_created_in_its_folder(chat_db: ChatDatabase) -> None:
    service = service_on(chat_db)
    folder = service.create_folder("Trips")

    message = service.add_user_message(None, "where to?", ChatSettings(), folder_id=folder.id)
    later = service.add_user_message(message.conversation_id, "and when?", ChatSettings(), folder_id=None)

    assert later.conversation_id == message.conversation_id
    assert service.get_conversation(message.conversation_id).folder_id == folder.id  # type: ignore[union-attr]
    assert [c.id for c in service.folder_conversations([folder.id], 10)[folder.id].items] == [message.conversation_id]
    assert service.list_conversations(limit=10, offset=0, search=None, unfiled=True).items == ()
    assert len(service.list_conversations(limit=10, offset=0, search="where", unfiled=True).items) == 1  # search: all


def test_a_folder_deleted_before_the_first_message_is_stored_leaves_it_in_no_folder(chat_db: ChatDatabase) -> None:
    service = service_on(chat_db)
    folder = service.create_folder("Short-lived")
    outbox = Outbox({})
    outbox.queue_message(None, "hello", folder_id=folder.id)
    assert service.delete_folder(folder.id) == 0

    stored_in = service.flush_outbox(outbox, ChatSettings())

    assert stored_in is not None and not outbox
    assert service.get_conversation(stored_in).folder_id is None  # type: ignore[union-attr]


def test_the_outbox_creates_a_pending_new_chat_in_its_folder(chat_db: ChatDatabase) -> None:
    service = service_on(chat_db)
    folder = service.create_folder("Queued")
    outbox = Outbox({})
    outbox.queue_message(None, "written while the database was away", folder_id=folder.id)

    stored_in = service.flush_outbox(outbox, ChatSettings())

    assert service.get_conversation(stored_in).folder_id == folder.id  # type: ignore[union-attr]


def test_another_owners_folder_is_not_used(chat_db: ChatDatabase) -> None:
    alice = service_on(chat_db, "alice")
    bob = service_on(chat_db, "bob")
    folder = alice.create_folder("Alice's")

    message = bob.add_user_message(None, "sneaky", ChatSettings(), folder_id=folder.id)

    assert bob.get_conversation(message.conversation_id).folder_id is None  # type: ignore[union-attr]
    assert alice.get_folder(folder.id).conversation_count == 0  # type: ignore[union-attr]
    assert bob.list_folders() == [] and bob.get_folder(folder.id) is None
