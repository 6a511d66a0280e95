"""Owners never see or change each other's data: foreign ids act as missing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from storage.errors import ConversationNotFound, MessageNotFound
from storage.repository import (
    add_message,
    count_messages,
    create_conversation,
    delete_conversation,
    export_conversation,
    get_conversation,
    get_message,
    list_conversations,
    list_messages,
    mark_streaming_as_interrupted,
    rename_conversation,
    touch,
    update_conversation_settings,
    update_message,
)


def test_another_owners_conversation_behaves_as_not_found(session: Session) -> None:
    chat = create_conversation(session, owner="alice", title="secret plans")
    message = add_message(
        session,
        chat.id,
        role="assistant",
        content="hidden",
        status="streaming",
        owner="alice",
    )

    for intruder in ("bob", ""):
        assert get_conversation(session, chat.id, owner=intruder) is None
        assert list_conversations(session, owner=intruder).items == ()
        assert list_conversations(session, owner=intruder, search="secret").items == ()
        assert list_messages(session, chat.id, owner=intruder) == []
        assert count_messages(session, chat.id, owner=intruder) == 0
        assert get_message(session, message.id, owner=intruder) is None
        assert rename_conversation(session, chat.id, "mine", owner=intruder) is None
        assert update_conversation_settings(session, chat.id, {}, owner=intruder) is None
        assert touch(session, chat.id, owner=intruder) is False
        assert mark_streaming_as_interrupted(session, chat.id, owner=intruder) == 0
        assert delete_conversation(session, chat.id, owner=intruder) is False
        with pytest.raises(ConversationNotFound):
            export_conversation(session, chat.id, owner=intruder)
        with pytest.raises(ConversationNotFound):
            add_message(session, chat.id, role="user", content="hi", owner=intruder)
        with pytest.raises(MessageNotFound):
            update_message(session, message.id, content="pwned", owner=intruder)

    kept = get_conversation(session, chat.id, owner="alice")
    assert kept is not None
    assert kept.title == "secret plans" and kept.message_count == 1
    [still] = list_messages(session, chat.id, owner="alice")
    assert still.content == "hidden" and still.status == "streaming"


def test_each_owner_lists_only_their_own_conversations(session: Session) -> None:
    alice = create_conversation(session, owner="alice")
    bob = create_conversation(session, owner="bob")
    anonymous = create_conversation(session)

    assert [c.id for c in list_conversations(session, owner="alice").items] == [alice.id]
    assert [c.id for c in list_conversations(session, owner="bob").items] == [bob.id]
    assert [c.id for c in list_conversations(session).items] == [anonymous.id]
