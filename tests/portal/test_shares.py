"""Share links through the domain (portal/shares.py) on a real SQLite file: what a reader sees, live
and snapshot, revoke, and "continue as a copy" into the reader's own conversations.

The owner's conversation is written the way the chat writes it (settings with a system prompt and a
model, a reply with its model, params, a stored response id and an error that names the endpoint),
so the tests can check that none of that reaches the reader or the copy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from portal.shares import SHARED_ERROR, Shares
from storage import repository
from storage.engine import make_engine, make_sessionmaker
from storage.errors import ConversationNotFound
from storage.migrate import upgrade_to_head
from storage.records import MessageStatus

ALICE, BOB = "oidc:https://issuer.test:alice", "oidc:https://issuer.test:bob"
ENDPOINT = "https://alice-secret-resource.openai.azure.com/openai/v1"
SYSTEM_PROMPT = "You are Alice's confidential assistant. Codeword: heliotrope."
SETTINGS = {"system_prompt": SYSTEM_PROMPT, "model": "alice-private-deployment", "temperature": 0.3, "tools": ["calculator"]}


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'portal.db').as_posix()}")
    upgrade_to_head(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def seed(sessions: sessionmaker[Session]) -> str:
    """Alice's conversation: a question, a reply (with what a reply stores), a failed reply, and an
    older reply on another branch."""
    with sessions.begin() as session:
        cid = repository.create_conversation(session, owner=ALICE, title="Trip <b>plans</b>", settings=SETTINGS).id
        question = repository.add_message(session, cid, role="user", content="Where to in May?", owner=ALICE)
        old = repository.add_message(session, cid, role="assistant", content="OLD BRANCH reply", owner=ALICE)
        repository.end_branch_at(session, cid, question.id, owner=ALICE)
        reply = repository.add_message(
            session, cid, role="assistant", content="Lisbon.", owner=ALICE, model="alice-private-deployment",
            params={"model": "alice-private-deployment", "temperature": 0.3},
            parts={"response_id": "resp_alice_123", "reasoning": "warm in May", "reasoning_tokens": 7},
        )
        repository.update_message(session, reply.id, owner=ALICE, prompt_tokens=12, completion_tokens=3, finish_reason="stop")
        repository.add_message(session, cid, role="user", content="And in June?", owner=ALICE)
        failed = repository.add_message(session, cid, role="assistant", content="", owner=ALICE, status=MessageStatus.ERROR)
        repository.update_message(session, failed.id, owner=ALICE, error=f"The endpoint could not be reached. Details: {ENDPOINT} refused; HTTP 0.")
        assert old.id != reply.id
    return cid


def everything(shared) -> str:
    return json.dumps([m.__repr__() for m in shared.messages]) + shared.title


@pytest.mark.parametrize("mode", ["live", "snapshot"])
def test_the_reader_sees_the_shown_branch_and_nothing_of_the_settings_or_connection(sessions, mode: str) -> None:
    cid = seed(sessions)
    made = Shares(sessions, owner=ALICE).create(cid, mode)

    shared = Shares(sessions, owner=BOB).open(made.token)

    assert shared is not None and shared.mode == mode and shared.title == "Trip <b>plans</b>"
    assert [(m.role, m.content) for m in shared.messages] == [
        ("user", "Where to in May?"), ("assistant", "Lisbon."), ("user", "And in June?"), ("assistant", ""),
    ]
    reply, failed = shared.messages[1], shared.messages[3]
    assert (reply.prompt_tokens, reply.completion_tokens, reply.finish_reason) == (12, 3, "stop")
    assert reply.parts == {"reasoning": "warm in May", "reasoning_tokens": 7}
    assert (reply.model, reply.params) == (None, None)
    assert failed.status == MessageStatus.ERROR and failed.error == SHARED_ERROR
    seen = everything(shared)
    for hidden in (ENDPOINT, "alice-secret-resource", SYSTEM_PROMPT, "heliotrope", "alice-private-deployment", "resp_alice_123", "OLD BRANCH", cid, ALICE):
        assert hidden not in seen, hidden


def test_live_follows_the_conversation_and_a_snapshot_does_not(sessions) -> None:
    cid = seed(sessions)
    alice = Shares(sessions, owner=ALICE)
    live, snapshot = alice.create(cid, "live"), alice.create(cid, "snapshot")
    with sessions.begin() as session:
        repository.add_message(session, cid, role="user", content="Added after sharing", owner=ALICE)
        repository.rename_conversation(session, cid, "Renamed", owner=ALICE)

    now = Shares(sessions, owner=BOB).open(live.token)
    then = Shares(sessions, owner=BOB).open(snapshot.token)

    assert now.messages[-1].content == "Added after sharing" and now.title == "Renamed"  # type: ignore[union-attr]
    assert then.messages[-1].content == "" and then.title == "Trip <b>plans</b>"  # type: ignore[union-attr]
    assert (now.total, then.total) == (5, 4)  # type: ignore[union-attr]
    tail = Shares(sessions, owner=BOB).open(live.token, limit=2)
    assert [m.content for m in tail.messages] == ["", "Added after sharing"] and tail.total == 5  # type: ignore[union-attr]
    assert [m.id for m in tail.messages] == [4, 5]  # positions on the branch, as the view counts them
    old_tail = Shares(sessions, owner=BOB).open(snapshot.token, limit=1)
    assert [m.content for m in old_tail.messages] == [""] and old_tail.total == 4  # type: ignore[union-attr]


def test_a_revoked_or_unknown_link_opens_nothing(sessions) -> None:
    cid = seed(sessions)
    alice = Shares(sessions, owner=ALICE)
    made = alice.create(cid, "live")
    assert [s.id for s in alice.list()] == [made.record.id]
    assert Shares(sessions, owner=BOB).revoke(made.record.id) is False  # not his
    assert Shares(sessions, owner=BOB).open(made.token) is not None

    assert alice.revoke(made.record.id) is True

    assert alice.list() == []
    assert Shares(sessions, owner=BOB).open(made.token) is None
    assert Shares(sessions, owner=BOB).copy(made.token) is None
    assert Shares(sessions, owner=BOB).open(made.token[:-1] + ("A" if made.token[-1] != "A" else "B")) is None


def test_only_the_owner_can_share_a_conversation(sessions) -> None:
    cid = seed(sessions)
    for mode in ("live", "snapshot"):
        with pytest.raises(ConversationNotFound):
            Shares(sessions, owner=BOB).create(cid, mode)
    with pytest.raises(ValueError):
        Shares(sessions, owner=ALICE).create(cid, "public")


@pytest.mark.parametrize("mode", ["live", "snapshot"])
def test_continue_as_a_copy_lands_in_the_readers_list_without_settings(sessions, mode: str) -> None:
    cid = seed(sessions)
    made = Shares(sessions, owner=ALICE).create(cid, mode)

    copy = Shares(sessions, owner=BOB).copy(made.token)

    assert copy is not None and copy.owner == BOB and copy.id != cid
    assert copy.title == "Trip <b>plans</b>" and copy.settings == {}
    with sessions.begin() as session:
        listed = repository.list_conversations(session, owner=BOB).items
        messages, total = repository.branch_messages(session, copy.id, owner=BOB)
        exported = json.dumps(repository.export_conversation(session, copy.id, owner=BOB))
        alice_titles = [c.title for c in repository.list_conversations(session, owner=ALICE).items]
    assert [c.id for c in listed] == [copy.id]
    assert total == 4 and [m.content for m in messages] == ["Where to in May?", "Lisbon.", "And in June?", ""]
    assert [m.parent_id for m in messages[1:]] == [m.id for m in messages[:-1]]  # one branch, in order
    for hidden in (ENDPOINT, SYSTEM_PROMPT, "alice-private-deployment", "resp_alice_123", "OLD BRANCH"):
        assert hidden not in exported, hidden
    assert alice_titles == ["Trip <b>plans</b>"]  # Alice's conversation is untouched
