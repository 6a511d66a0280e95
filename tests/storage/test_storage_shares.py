"""Share links on SQLite and PostgreSQL: create, list, revoke, open by token, owners, cascade.

The token of a link is 256 random bits given once; only its SHA-256 is in the table, so the tests
also read the raw rows to check that the token itself was never written."""

from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from storage.conversations import create_conversation, delete_conversation
from storage.errors import ConversationNotFound
from storage.models import Share
from storage.shares import create_share, list_shares, open_share, revoke_share

ALICE, BOB = "oidc:https://issuer.test:alice", "oidc:https://issuer.test:bob"
SNAPSHOT = {"title": "Trip plans", "messages": [{"role": "user", "content": "hello"}]}


def _conversation(session: Session, owner: str = ALICE, title: str = "Trip plans") -> str:
    return create_conversation(session, owner=owner, title=title).id


def test_a_new_share_opens_by_its_token_and_the_token_is_not_stored(session: Session) -> None:
    cid = _conversation(session)

    made = create_share(session, cid, owner=ALICE, mode="snapshot", snapshot=SNAPSHOT)

    assert (made.record.conversation_id, made.record.owner, made.record.mode, made.record.title) == (cid, ALICE, "snapshot", "Trip plans")
    assert made.record.active and made.record.revoked_at is None
    opened = open_share(session, made.token)
    assert opened is not None
    assert opened.record == made.record
    assert opened.snapshot == SNAPSHOT
    # Only the hash is stored: no column of the row holds the token.
    (row,) = session.execute(text("SELECT token_hash, owner, conversation_id, mode, snapshot FROM shares")).all()
    assert row.token_hash == hashlib.sha256(made.token.encode()).hexdigest() == made.record.id
    assert all(made.token not in str(value) for value in row)


def test_the_token_has_at_least_128_random_bits_and_tokens_differ(session: Session) -> None:
    cid = _conversation(session)
    tokens = [create_share(session, cid, owner=ALICE, mode="live").token for _ in range(20)]

    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128, token
        assert len(raw) == 32  # secrets.token_urlsafe(32): 256 bits
    assert len(set(tokens)) == len(tokens)


def test_a_live_share_stores_no_snapshot_and_modes_are_checked(session: Session) -> None:
    cid = _conversation(session)
    live = create_share(session, cid, owner=ALICE, mode="live")
    assert open_share(session, live.token).snapshot is None  # type: ignore[union-attr]
    assert session.scalar(select(Share.snapshot).where(Share.token_hash == live.record.id)) is None
    with pytest.raises(ValueError, match="mode"):
        create_share(session, cid, owner=ALICE, mode="public")
    with pytest.raises(ValueError, match="snapshot"):
        create_share(session, cid, owner=ALICE, mode="snapshot")
    with pytest.raises(ValueError, match="snapshot"):
        create_share(session, cid, owner=ALICE, mode="live", snapshot=SNAPSHOT)


def test_list_shows_the_owners_working_shares_newest_first(session: Session) -> None:
    first = create_share(session, _conversation(session, title="First"), owner=ALICE, mode="live")
    second = create_share(session, _conversation(session, title="Second"), owner=ALICE, mode="snapshot", snapshot=SNAPSHOT)
    create_share(session, _conversation(session, BOB, "Bob's"), owner=BOB, mode="live")

    listed = list_shares(session, owner=ALICE)

    assert [(s.id, s.title, s.mode) for s in listed] == [(second.record.id, "Second", "snapshot"), (first.record.id, "First", "live")]
    assert [s.title for s in list_shares(session, owner=BOB)] == ["Bob's"]
    assert list_shares(session, owner="") == []


def test_revoking_makes_the_token_open_nothing(session: Session) -> None:
    made = create_share(session, _conversation(session), owner=ALICE, mode="live")

    assert revoke_share(session, made.record.id, owner=ALICE) is True

    assert open_share(session, made.token) is None
    assert list_shares(session, owner=ALICE) == []
    (revoked,) = list_shares(session, owner=ALICE, include_revoked=True)
    assert revoked.revoked_at is not None and not revoked.active
    assert revoke_share(session, made.record.id, owner=ALICE) is False  # already revoked


def test_owners_are_isolated(session: Session) -> None:
    alice_cid = _conversation(session)
    made = create_share(session, alice_cid, owner=ALICE, mode="live")

    # Bob can neither share Alice's conversation, nor see or revoke her share.
    with pytest.raises(ConversationNotFound):
        create_share(session, alice_cid, owner=BOB, mode="live")
    with pytest.raises(ConversationNotFound):
        create_share(session, "not-a-uuid", owner=ALICE, mode="live")
    assert list_shares(session, owner=BOB) == []
    assert revoke_share(session, made.record.id, owner=BOB) is False
    assert open_share(session, made.token) is not None  # still working for whoever holds the link


@pytest.mark.parametrize("token", ["", "x", "not a token!", "%" * 43, "a" * 43, "a" * 500])
def test_unknown_or_malformed_tokens_open_nothing(session: Session, token: str) -> None:
    create_share(session, _conversation(session), owner=ALICE, mode="live")
    assert open_share(session, token) is None


def test_the_hash_is_not_a_token(session: Session) -> None:
    """The owner's list shows each share's id (the hash); the hash itself opens nothing."""
    made = create_share(session, _conversation(session), owner=ALICE, mode="live")
    assert open_share(session, made.record.id) is None


def test_deleting_the_conversation_deletes_its_shares(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        cid = _conversation(session)
        kept_cid = _conversation(session, title="Kept")
        gone = create_share(session, cid, owner=ALICE, mode="snapshot", snapshot=SNAPSHOT)
        kept = create_share(session, kept_cid, owner=ALICE, mode="live")
    with session_factory.begin() as session:
        assert delete_conversation(session, cid, owner=ALICE)
    with session_factory.begin() as session:
        assert open_share(session, gone.token) is None
        assert session.scalar(select(Share).where(Share.token_hash == gone.record.id)) is None
        assert open_share(session, kept.token) is not None
        assert [s.title for s in list_shares(session, owner=ALICE, include_revoked=True)] == ["Kept"]
