"""Several `streamlit run` instances on one PostgreSQL database, driven in Chromium.

What a team deployment relies on: instances migrate an empty database safely when they start
together, a conversation written through one instance reads back through another, and people
writing at the same time (into one conversation or into their own) lose nothing. The browser does
the writing; the rows are then counted in PostgreSQL with the test's own connection.
"""

from __future__ import annotations

import time
import uuid

from alembic.script import ScriptDirectory
from playwright.sync_api import Page, expect
from sqlalchemy import text

from storage.migrate import MIGRATION_LOCK_KEY, alembic_config, current_revision
from tests.browser.chat_ui import (
    CAPTION,
    CHAT_INPUT,
    FINISHED,
    STOP_BUTTON,
    assistant_messages,
    conversation_id,
    expect_no_exception,
    messages,
    send,
    user_messages,
    wait_for_finished_reply,
)
from tests.streamlit_process import StreamlitApp

from .instances import instances_on, open_ready
from .postgres import engine_for, throwaway_database

ROUNDS = 3
LOCK_WAIT_SECONDS = 60


def token(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def _advisory_waiters(connection) -> int:
    return connection.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    ).scalar_one()


def test_two_instances_starting_together_on_an_empty_database_migrate_once(postgres_available, new_context) -> None:
    with throwaway_database() as url:
        apps = instances_on(url, 2)
        engine = engine_for(url)
        try:
            pages = [new_context().new_page() for _ in apps]
            # Hold Alembic's lock so both instances reach it and queue; releasing it starts them at
            # the same instant. One migrates, the other must then find the schema at head.
            with engine.connect() as holder:
                holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                holder.commit()
                for app, opened in zip(apps, pages):
                    opened.goto(app.url)
                deadline = time.monotonic() + LOCK_WAIT_SECONDS
                while (waiting := _advisory_waiters(holder)) < 2:
                    assert time.monotonic() < deadline, f"only {waiting} instance(s) waited for the migration lock"
                    holder.rollback()
                    time.sleep(0.1)
                assert current_revision(engine) is None, "nothing may migrate while the lock is held"
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                holder.commit()

            for opened in pages:
                expect(opened.locator(CHAT_INPUT)).to_be_visible(timeout=30_000)
                expect_no_exception(opened)
            with engine.connect() as connection:
                versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert versions == [ScriptDirectory.from_config(alembic_config()).get_current_head()]

            # Both instances work on the schema the winner created.
            for index, opened in enumerate(pages):
                send(opened, f"after the race on instance {index}")
                wait_for_finished_reply(opened, count=1)
                expect_no_exception(opened)
            for app in apps:
                assert "Traceback" not in app.log_tail(100_000), app.log_tail()
        finally:
            engine.dispose()
            for app in apps:
                app.cleanup()


def test_conversation_written_on_one_instance_is_read_on_the_other(instances: list[StreamlitApp], new_context) -> None:
    first, second = instances
    on_first = new_context().new_page()
    open_ready(on_first, first.url)
    written = token("written-on-first")
    send(on_first, f"hello from {written}")
    wait_for_finished_reply(on_first, count=1)
    cid = conversation_id(on_first)

    on_second = new_context().new_page()
    open_ready(on_second, f"{second.url}/?c={cid}")
    expect(user_messages(on_second)).to_have_count(1)
    expect(user_messages(on_second).first).to_contain_text(written)
    expect(assistant_messages(on_second)).to_have_count(1)
    expect(assistant_messages(on_second).first).to_contain_text(f'You said: "hello from {written}".')
    expect(assistant_messages(on_second).first.locator(CAPTION).filter(has_text=FINISHED)).to_be_visible()

    answered = token("answered-on-second")
    send(on_second, f"and back from {answered}")
    wait_for_finished_reply(on_second, count=2)
    expect_no_exception(on_second)

    on_first.reload()
    expect(messages(on_first)).to_have_count(4)
    expect(user_messages(on_first).last).to_contain_text(answered)
    expect(assistant_messages(on_first).last).to_contain_text(f'You said: "and back from {answered}".')
    expect_no_exception(on_first)


def _wait_for_round(engine, expected_user_tokens: set[str], timeout: float = 60) -> None:
    """Until every token of the round is a stored user message and no reply is still streaming."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT content FROM messages WHERE role = 'user'")).scalars().all()
            streaming = connection.execute(text("SELECT count(*) FROM messages WHERE status = 'streaming'")).scalar_one()
            users = connection.execute(text("SELECT count(*) FROM messages WHERE role = 'user'")).scalar_one()
            replies = connection.execute(text("SELECT count(*) FROM messages WHERE role = 'assistant'")).scalar_one()
        missing = {t for t in expected_user_tokens if not any(t in content for content in stored)}
        if not missing and streaming == 0 and users == replies:
            return
        assert time.monotonic() < deadline, (
            f"round not complete: missing {missing}, {streaming} streaming, {users} users, {replies} replies"
        )
        time.sleep(0.2)


# True once the page's final run (the rerun after streaming) shows a finished reply after the user
# message holding the token. Other writers' messages may sit between the two in a shared conversation,
# and between the end of the stream and that rerun the page is briefly idle, so neither "the last
# message" nor "the script is idle" alone says that this page's turn is over.
OWN_TURN_FINISHED = """(token) => {
  const all = [...document.querySelectorAll('[data-testid="stChatMessage"]')];
  const mine = all.findIndex(m => m.querySelector('[data-testid="stChatMessageAvatarUser"]') && m.innerText.includes(token));
  return mine >= 0 && all.slice(mine + 1).some(m =>
    m.querySelector('[data-testid="stChatMessageAvatarAssistant"]') &&
    [...m.querySelectorAll('[data-testid="stCaptionContainer"]')].some(c => /finish: stop/.test(c.innerText)));
}"""


def _wait_for_own_turn(page: Page, sent_token: str) -> None:
    page.wait_for_function(OWN_TURN_FINISHED, arg=sent_token, polling=100, timeout=30_000)
    expect(page.locator(STOP_BUTTON)).to_have_count(0, timeout=30_000)
    expect_no_exception(page)


def test_concurrent_writers_on_two_instances_lose_nothing(instances: list[StreamlitApp], database_url: str, new_context) -> None:
    first, second = instances
    engine = engine_for(database_url)
    try:
        with engine.begin() as connection:  # this module's earlier tests wrote here too: count only what this test adds
            connection.execute(text("DELETE FROM conversations"))

        shared_on_first = new_context().new_page()
        open_ready(shared_on_first, first.url)
        send(shared_on_first, "the shared conversation starts here")
        wait_for_finished_reply(shared_on_first, count=1)
        shared_id = conversation_id(shared_on_first)
        shared_on_second = new_context().new_page()
        open_ready(shared_on_second, f"{second.url}/?c={shared_id}")
        expect(messages(shared_on_second)).to_have_count(2)
        own_on_first = new_context().new_page()
        open_ready(own_on_first, first.url)
        own_on_second = new_context().new_page()
        open_ready(own_on_second, second.url)

        writers = {
            "shared-a": shared_on_first,
            "shared-b": shared_on_second,
            "own-a": own_on_first,
            "own-b": own_on_second,
        }
        sent: dict[str, list[str]] = {label: [] for label in writers}
        for round_number in range(ROUNDS):
            round_tokens = {label: token(f"{label}-r{round_number}") for label in writers}
            # All four send within a fraction of a second; each reply streams for about 2 s, so the
            # four turns (two of them in one conversation, on different instances) overlap.
            for label, writer in writers.items():
                send(writer, f"message {round_tokens[label]} /long 40 /slow 20")
                sent[label].append(round_tokens[label])
            _wait_for_round(engine, set(round_tokens.values()))
            for label, writer in writers.items():
                _wait_for_own_turn(writer, round_tokens[label])

        own_ids = {label: conversation_id(writers[label]) for label in ("own-a", "own-b")}
        assert conversation_id(shared_on_first) == conversation_id(shared_on_second) == shared_id

        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, conversation_id, role, content, status, finish_reason FROM messages ORDER BY id")
            ).all()
            counts = dict(connection.execute(text("SELECT id, message_count FROM conversations")).all())
        assert set(counts) == {shared_id, *own_ids.values()}, counts

        by_conversation: dict[str, list] = {}
        for row in rows:
            by_conversation.setdefault(row.conversation_id, []).append(row)
        for conversation, stored in by_conversation.items():
            assert counts[conversation] == len(stored), f"message_count {counts[conversation]} != {len(stored)} rows"
            replies = [r for r in stored if r.role == "assistant"]
            users = [r for r in stored if r.role == "user"]
            assert len(replies) == len(users), (conversation, len(users), len(replies))
            assert all(r.status == "complete" and r.finish_reason == "stop" for r in replies), replies
            asked_for_40 = replies[1:] if conversation == shared_id else replies  # the shared one opened with a plain message
            assert all(len(r.content.split()) == 40 for r in asked_for_40), [len(r.content.split()) for r in asked_for_40]

        def user_tokens_in(conversation: str) -> list[str]:
            return [
                t for r in by_conversation[conversation] if r.role == "user" for t in sum(sent.values(), []) if t in r.content
            ]

        # Every message sent is stored exactly once, in the conversation it was sent to.
        shared_tokens = user_tokens_in(shared_id)
        assert sorted(shared_tokens) == sorted(sent["shared-a"] + sent["shared-b"]), shared_tokens
        assert len(by_conversation[shared_id]) == 2 + 2 * 2 * ROUNDS
        for label, cid in own_ids.items():
            assert sorted(user_tokens_in(cid)) == sorted(sent[label])
            assert len(by_conversation[cid]) == 2 * ROUNDS
            # In a conversation of one writer, each reply restates the message it answers.
            stored = by_conversation[cid]
            for user_row, reply_row in zip(stored[0::2], stored[1::2]):
                assert user_row.role == "user" and reply_row.role == "assistant"
                assert user_row.content.split()[1] in reply_row.content

        # What the browser shows after a reload is what the database holds.
        for writer, cid in ((shared_on_second, shared_id), (own_on_first, own_ids["own-a"])):
            writer.reload()
            expect(messages(writer)).to_have_count(len(by_conversation[cid]))
            expect(assistant_messages(writer).locator(CAPTION).filter(has_text=FINISHED)).to_have_count(
                len(by_conversation[cid]) // 2
            )
            expect_no_exception(writer)
    finally:
        engine.dispose()
