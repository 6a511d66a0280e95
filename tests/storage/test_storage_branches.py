"""Branches: edit and regenerate fork a conversation, and every branch stays readable.

Each test runs on SQLite and PostgreSQL (see conftest). A conversation is a tree of messages linked
by `parent_id`; the conversation shows one branch, root to leaf.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import InvalidImport, MessageNotFound
from storage.models import Message
from storage.records import ConversationRecord, MessageRecord
from storage.repository import (
    add_message,
    branch_messages,
    create_conversation,
    end_branch_at,
    export_conversation,
    get_conversation,
    import_conversation,
    leaf_id,
    list_conversations,
    reveal_message,
    set_pinned,
    show_branch,
    siblings,
)


@pytest.fixture
def chat(session: Session) -> ConversationRecord:
    return create_conversation(session, title="chat")


def _texts(messages: list[MessageRecord]) -> list[str]:
    return [m.content for m in messages]


def _shown(session: Session, chat: ConversationRecord, **kwargs: object) -> list[str]:
    messages, _ = branch_messages(session, chat.id, **kwargs)  # type: ignore[arg-type]
    return _texts(messages)


def _four(session: Session, chat: ConversationRecord) -> list[MessageRecord]:
    return [
        add_message(session, chat.id, role=role, content=content)
        for role, content in (("user", "u1"), ("assistant", "a1"), ("user", "u2"), ("assistant", "a2"))
    ]


def test_appends_chain_each_message_to_the_one_before(session: Session, chat: ConversationRecord) -> None:
    u1, a1, u2, a2 = _four(session, chat)

    assert [m.parent_id for m in (u1, a1, u2, a2)] == [None, u1.id, a1.id, u2.id]
    assert [m.depth for m in (u1, a1, u2, a2)] == [0, 1, 2, 3]
    messages, length = branch_messages(session, chat.id)
    assert (_texts(messages), length) == (["u1", "a1", "u2", "a2"], 4)
    assert [(m.parent_id, m.depth) for m in messages] == [(None, 0), (u1.id, 1), (a1.id, 2), (u2.id, 3)]
    assert leaf_id(session, chat.id) == a2.id
    assert siblings(session, chat.id, messages) == {}


def test_editing_a_message_forks_and_keeps_the_old_branch(session: Session, chat: ConversationRecord) -> None:
    u1, a1, u2, a2 = _four(session, chat)

    edited = add_message(session, chat.id, role="user", content="u2 edited", parent_id=a1.id)
    reply = add_message(session, chat.id, role="assistant", content="a2 for the edit")

    assert (edited.parent_id, edited.depth, reply.parent_id, reply.depth) == (a1.id, 2, edited.id, 3)
    shown, length = branch_messages(session, chat.id)
    assert (_texts(shown), length) == (["u1", "a1", "u2 edited", "a2 for the edit"], 4)
    alternatives = siblings(session, chat.id, shown)
    assert set(alternatives) == {edited.id}
    assert alternatives[edited.id].ids == (u2.id, edited.id)
    assert (alternatives[edited.id].index, alternatives[edited.id].count) == (1, 2)

    # "< 1 / 2": back to the original question, which shows with its own reply.
    assert show_branch(session, chat.id, u2.id) == a2.id
    assert _shown(session, chat) == ["u1", "a1", "u2", "a2"]
    assert siblings(session, chat.id, branch_messages(session, chat.id)[0])[u2.id].index == 0
    # and forward again
    assert show_branch(session, chat.id, edited.id) == reply.id
    assert _shown(session, chat) == ["u1", "a1", "u2 edited", "a2 for the edit"]
    assert get_conversation(session, chat.id).message_count == 6  # type: ignore[union-attr]


def test_a_branch_shows_its_newest_end_and_appends_continue_it(session: Session, chat: ConversationRecord) -> None:
    u1, a1, u2, a2 = _four(session, chat)
    add_message(session, chat.id, role="user", content="u2 edited", parent_id=a1.id)
    show_branch(session, chat.id, u2.id)

    follow_up = add_message(session, chat.id, role="user", content="u3 on the first branch")

    assert follow_up.parent_id == a2.id
    assert _shown(session, chat) == ["u1", "a1", "u2", "a2", "u3 on the first branch"]
    # Switching away and back lands on the newest message of that branch.
    show_branch(session, chat.id, u2.id)
    assert _shown(session, chat)[-1] == "u3 on the first branch"


def test_regenerate_adds_a_sibling_reply(session: Session, chat: ConversationRecord) -> None:
    u1, a1 = _four(session, chat)[:2]

    end_branch_at(session, chat.id, u1.id)
    assert _shown(session, chat) == ["u1"]
    again = add_message(session, chat.id, role="assistant", content="a1 again")

    assert again.parent_id == u1.id
    shown = branch_messages(session, chat.id)[0]
    assert _texts(shown) == ["u1", "a1 again"]
    assert siblings(session, chat.id, shown)[again.id].ids == (a1.id, again.id)
    show_branch(session, chat.id, a1.id)
    assert _shown(session, chat) == ["u1", "a1", "u2", "a2"]


def test_editing_the_first_message_forks_at_the_root(session: Session, chat: ConversationRecord) -> None:
    u1 = _four(session, chat)[0]

    first = add_message(session, chat.id, role="user", content="u1 edited", parent_id=None)

    assert (first.parent_id, first.depth) == (None, 0)
    shown = branch_messages(session, chat.id)[0]
    assert _texts(shown) == ["u1 edited"]
    assert siblings(session, chat.id, shown)[first.id].ids == (u1.id, first.id)


def test_latest_messages_and_earlier_pages_follow_the_shown_branch(session: Session, chat: ConversationRecord) -> None:
    trunk = [add_message(session, chat.id, role="user" if i % 2 == 0 else "assistant", content=f"m{i}") for i in range(60)]
    # A fork at message 10 with 5 messages of its own; the trunk is shown again afterwards.
    fork = add_message(session, chat.id, role="user", content="fork", parent_id=trunk[9].id)
    for i in range(4):
        add_message(session, chat.id, role="assistant" if i % 2 == 0 else "user", content=f"f{i}")
    show_branch(session, chat.id, trunk[10].id)

    latest, length = branch_messages(session, chat.id, limit=40)
    assert length == 60
    assert _texts(latest) == [f"m{i}" for i in range(20, 60)]
    earlier, _ = branch_messages(session, chat.id, limit=40, above=latest[0].id)
    assert _texts(earlier) == [f"m{i}" for i in range(0, 20)]
    assert branch_messages(session, chat.id, limit=40, above=earlier[0].id) == ([], 60)

    show_branch(session, chat.id, fork.id)
    assert _shown(session, chat, limit=7) == ["m8", "m9", "fork", "f0", "f1", "f2", "f3"]
    assert branch_messages(session, chat.id)[1] == 15


def test_branches_are_scoped_to_their_owner_and_conversation(session: Session) -> None:
    mine = create_conversation(session, title="mine", owner="alice")
    other = create_conversation(session, title="other", owner="alice")
    question = add_message(session, mine.id, role="user", content="secret", owner="alice")
    elsewhere = add_message(session, other.id, role="user", content="elsewhere", owner="alice")

    assert branch_messages(session, mine.id, owner="bob") == ([], 0)
    assert leaf_id(session, mine.id, owner="bob") is None
    assert siblings(session, mine.id, [question], owner="bob") == {}
    with pytest.raises(MessageNotFound):
        show_branch(session, mine.id, question.id, owner="bob")
    with pytest.raises(MessageNotFound):
        end_branch_at(session, mine.id, question.id, owner="bob")
    with pytest.raises(MessageNotFound):
        end_branch_at(session, mine.id, elsewhere.id, owner="alice")
    with pytest.raises(MessageNotFound):
        show_branch(session, mine.id, elsewhere.id, owner="alice")
    assert _shown(session, mine, owner="alice") == ["secret"]


def test_a_parent_from_another_conversation_is_refused(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        mine = create_conversation(session, title="mine")
        other = create_conversation(session, title="other")
        add_message(session, mine.id, role="user", content="question")
        foreign = add_message(session, other.id, role="user", content="elsewhere")

    with pytest.raises(ValueError, match="not in this conversation"), session_factory.begin() as session:
        add_message(session, mine.id, role="assistant", content="hijack", parent_id=foreign.id)
    with pytest.raises(ValueError, match="message id"), session_factory.begin() as session:
        add_message(session, mine.id, role="assistant", content="hijack", parent_id="1; DROP TABLE messages")

    with session_factory() as session:
        assert _shown(session, mine) == ["question"]
        assert get_conversation(session, mine.id).message_count == 1  # type: ignore[union-attr]
        assert session.scalar(select(Message.id).where(Message.content == "hijack")) is None


def test_export_and_import_keep_every_branch_and_the_shown_one(session: Session, chat: ConversationRecord) -> None:
    u1, a1, u2, a2 = _four(session, chat)
    edited = add_message(session, chat.id, role="user", content="u2 edited", parent_id=a1.id)
    add_message(session, chat.id, role="assistant", content="a2 for the edit")
    show_branch(session, chat.id, u2.id)

    data = export_conversation(session, chat.id)
    assert data["version"] == 2
    assert [m["parent"] for m in data["messages"]] == [None, 0, 1, 2, 1, 4]
    assert data["conversation"]["leaf"] == 3

    copy = import_conversation(session, data)
    assert _shown(session, copy) == ["u1", "a1", "u2", "a2"]
    shown = branch_messages(session, copy.id)[0]
    (switch,) = siblings(session, copy.id, shown).values()
    assert switch.count == 2
    show_branch(session, copy.id, switch.ids[1])
    assert _shown(session, copy) == ["u1", "a1", "u2 edited", "a2 for the edit"]
    assert [m.depth for m in branch_messages(session, copy.id)[0]] == [0, 1, 2, 3]
    assert edited.id not in {m.id for m in branch_messages(session, copy.id)[0]}  # new ids, same tree


def test_a_version_1_export_imports_as_one_branch(session: Session) -> None:
    imported = import_conversation(
        session,
        {
            "format": "azure-ai-portal.conversation",
            "version": 1,
            "conversation": {"title": "old file"},
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a"},
                {"role": "user", "content": "q2"},
            ],
        },
    )

    messages, length = branch_messages(session, imported.id)
    assert (_texts(messages), length) == (["q", "a", "q2"], 3)
    assert [m.parent_id for m in messages] == [None, messages[0].id, messages[1].id]


@pytest.mark.parametrize(
    ("parents", "leaf", "expected"),
    [
        ([None, 1], None, r"messages\[1\]\.parent must be the index of an earlier message \(0 to 0\)"),
        ([None, -1], None, r"messages\[1\]\.parent"),
        ([None, "0"], None, r"messages\[1\]\.parent"),
        ([None, True], None, r"messages\[1\]\.parent"),
        ([None, 0], 2, r"conversation\.leaf must be the index of an earlier message \(0 to 1\)"),
    ],
)
def test_an_import_with_broken_links_is_refused_with_a_reason(
    session: Session, parents: list[object], leaf: object, expected: str
) -> None:
    data = {
        "format": "azure-ai-portal.conversation",
        "version": 2,
        "conversation": {"title": "broken", "leaf": leaf},
        "messages": [
            {"role": "user", "content": "q", "parent": parents[0]},
            {"role": "assistant", "content": "a", "parent": parents[1]},
        ],
    }
    with pytest.raises(InvalidImport, match=expected):
        import_conversation(session, data)


def test_pinned_conversations_come_first(session: Session) -> None:
    older = create_conversation(session, title="older")
    newer = create_conversation(session, title="newer")
    add_message(session, newer.id, role="user", content="recent")

    assert [c.title for c in list_conversations(session).items] == ["newer", "older"]
    pinned = set_pinned(session, older.id, True)
    assert pinned is not None and pinned.pinned
    assert [(c.title, c.pinned) for c in list_conversations(session).items] == [("older", True), ("newer", False)]
    set_pinned(session, older.id, False)
    assert [c.title for c in list_conversations(session).items] == ["newer", "older"]
    assert set_pinned(session, older.id, True, owner="bob") is None


def test_revealing_a_message_shows_its_branch_and_counts_its_place_from_the_end(session: Session, chat: ConversationRecord) -> None:
    # What a link from the embeddings page does: the message is shown, however old or on whatever branch.
    u1, a1, u2, a2 = _four(session, chat)
    edited = add_message(session, chat.id, role="user", content="u2 edited", parent_id=a1.id)
    reply = add_message(session, chat.id, role="assistant", content="a2 for the edit")

    assert reveal_message(session, chat.id, u1.id) == 4  # on the shown branch: the 4th from its end
    assert reveal_message(session, chat.id, reply.id) == 1
    assert _shown(session, chat) == ["u1", "a1", "u2 edited", "a2 for the edit"]  # nothing switched

    assert reveal_message(session, chat.id, a2.id) == 1  # on the other branch: that branch is shown
    assert _shown(session, chat) == ["u1", "a1", "u2", "a2"]
    assert reveal_message(session, chat.id, edited.id) == 2
    assert _shown(session, chat) == ["u1", "a1", "u2 edited", "a2 for the edit"]


def test_revealing_refuses_foreign_and_unknown_messages(session: Session, chat: ConversationRecord) -> None:
    u1, *_ = _four(session, chat)
    other = create_conversation(session, title="other")
    theirs = create_conversation(session, title="theirs", owner="someone-else")
    their_message = add_message(session, theirs.id, role="user", content="private", owner="someone-else")

    assert reveal_message(session, other.id, u1.id) is None  # a message of another conversation
    assert reveal_message(session, theirs.id, their_message.id) is None  # not the caller's conversation
    assert reveal_message(session, chat.id, 10**9) is None
    assert reveal_message(session, "not-a-conversation", u1.id) is None
