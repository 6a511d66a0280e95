"""Concurrent writers on separate sessions lose no messages and no counts, and keep one branch."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from storage.repository import (
    add_message,
    branch_messages,
    create_conversation,
    get_conversation,
    list_messages,
)

PER_THREAD = 50


def test_two_threads_appending_to_one_conversation_keep_every_message(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        chat = create_conversation(session, title="busy")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            for index in range(PER_THREAD):
                with session_factory.begin() as session:
                    add_message(session, chat.id, role="user", content=f"{name}-{index}")
        except BaseException as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with session_factory.begin() as session:
        after = get_conversation(session, chat.id)
        messages = list_messages(session, chat.id)
    assert after is not None and after.message_count == 2 * PER_THREAD
    assert len(messages) == 2 * PER_THREAD
    ids = [m.id for m in messages]
    assert ids == sorted(set(ids))
    for name in ("a", "b"):
        mine = [m.content for m in messages if m.content.startswith(f"{name}-")]
        assert mine == [f"{name}-{index}" for index in range(PER_THREAD)]
    # Each message follows the one written before it: no writer forked the conversation by reading
    # the branch's end while the other was adding to it, so the chat shows every message.
    with session_factory.begin() as session:
        _, length = branch_messages(session, chat.id)
    assert length == 2 * PER_THREAD
    assert [m.parent_id for m in messages] == [None, *ids[:-1]]
