"""Owner scoping above the repository: the chat service, its search tool and the embeddings explorer.

Two signed-in users (owner ids built by `components.auth.owner_from_claims` from issuer and subject)
share one SQLite file and one local inference server. Whatever one of them asks for by the other's
conversation id (read, export, rename, delete, reply into, search, embed "from chat history") acts
as if the conversation did not exist, and the other's data is left untouched. Both users carry the
same email on purpose: the owner id must come from `sub`, never from the email alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from components.auth import MAX_OWNER_LENGTH, owner_from_claims, providers
from localserver import RunningServer
from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec
from portal.inference import ToolCall
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import offline_connection
from storage.engine import make_engine, make_sessionmaker
from storage.errors import ConversationNotFound
from storage.migrate import upgrade_to_head
from storage.models import Conversation, EmbeddingCacheEntry

ISSUER = "https://login.example.test/tenant-1/v2.0"
SHARED_EMAIL = "same.person@example.test"
ALICE = owner_from_claims({"iss": ISSUER, "sub": "alice-0001", "email": SHARED_EMAIL})
BOB = owner_from_claims({"iss": ISSUER, "sub": "bob-0002", "email": SHARED_EMAIL})
SECRET_WORD = "zebracorn"


# -- the owner id ---------------------------------------------------------------------------------------


def test_owner_id_is_issuer_and_subject_never_the_email() -> None:
    assert ALICE == f"oidc:{ISSUER}:alice-0001"
    assert ALICE != BOB  # same email, different subjects: different users
    assert SHARED_EMAIL not in ALICE
    same_sub_other_issuer = owner_from_claims({"iss": "https://accounts.google.com", "sub": "alice-0001"})
    assert same_sub_other_issuer != ALICE
    # Stable: the same identity gives the same owner, whatever else the token says this time.
    assert owner_from_claims({"iss": ISSUER, "sub": "alice-0001", "email": "new@example.test", "name": "A"}) == ALICE


@pytest.mark.parametrize(
    "claims",
    [
        {"email": SHARED_EMAIL},
        {"iss": ISSUER, "email": SHARED_EMAIL},
        {"sub": "alice-0001", "email": SHARED_EMAIL},
        {"iss": ISSUER, "sub": "  "},
        {"iss": ISSUER, "sub": 42},
    ],
)
def test_an_identity_without_issuer_and_subject_has_no_owner(claims: dict) -> None:
    with pytest.raises(ValueError, match="iss"):
        owner_from_claims(claims)


def test_an_overlong_identity_is_hashed_to_fit_the_owner_column() -> None:
    long_subject = "s" * 400
    owner = owner_from_claims({"iss": ISSUER, "sub": long_subject})
    assert len(owner) <= MAX_OWNER_LENGTH
    assert owner.startswith("oidc:sha256:")
    assert owner == owner_from_claims({"iss": ISSUER, "sub": long_subject})
    assert owner != owner_from_claims({"iss": ISSUER, "sub": long_subject + "t"})


def test_providers_lists_the_default_and_named_sections() -> None:
    flat = {"redirect_uri": "x", "cookie_secret": "y", "client_id": "c", "client_secret": "s", "server_metadata_url": "m"}
    assert providers(flat) == ["default"]
    named = {"redirect_uri": "x", "cookie_secret": "y", "google": {"client_id": "c"}, "microsoft": {"server_metadata_url": "m"}}
    assert providers(named) == ["google", "microsoft"]
    assert providers({"redirect_uri": "x", "cookie_secret": "y"}) == []


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'portal.db').as_posix()}")
    upgrade_to_head(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def backend(local_server: RunningServer) -> Iterator[AzureInferenceBackend]:
    backend = AzureInferenceBackend(offline_connection(local_server.url))
    yield backend
    backend.close()


def chat_as(owner: str, sessions: sessionmaker[Session], backend: AzureInferenceBackend) -> ChatService:
    return ChatService(sessions, backend, owner=owner)


def search_tool(service: ChatService, conversation_id: str, query: str) -> dict:
    call = ToolCall(id="call_search", name="search_conversations", arguments=json.dumps({"query": query}))
    (result,) = service.run_tools(conversation_id, (call,))
    assert result.ok, result.content
    return json.loads(result.content)


# -- the chat service ---------------------------------------------------------------------------------------


def test_another_users_conversation_is_not_found_through_the_chat_service(sessions, backend) -> None:
    alice, bob = chat_as(ALICE, sessions, backend), chat_as(BOB, sessions, backend)
    alice_message = alice.add_user_message(None, f"alice's {SECRET_WORD} plans", ChatSettings())
    alice_id = alice_message.conversation_id
    bob_message = bob.add_user_message(None, "bob's shopping list", ChatSettings())

    assert bob.get_conversation(alice_id) is None
    assert [c.id for c in bob.list_conversations(limit=50, offset=0, search=None).items] == [bob_message.conversation_id]
    assert bob.list_conversations(limit=50, offset=0, search=SECRET_WORD).items == ()
    assert bob.recent_messages(alice_id, 40) == ([], 0)
    with pytest.raises(ConversationNotFound):
        bob.export_json(alice_id)
    with pytest.raises(ConversationNotFound):
        bob.export_markdown(alice_id)
    assert bob.rename(alice_id, "mine now") is False
    assert bob.delete(alice_id) is False
    assert bob.regenerate(alice_id, alice_message.id + 1) is False
    assert bob.edit_message(alice_id, alice_message.id, "overwritten") is None
    assert bob.siblings(alice_id, [alice_message]) == {}
    assert bob.show_branch(alice_id, alice_message.id) is False
    assert bob.set_pinned(alice_id, True) is False

    # Writing "into" Alice's id starts a conversation of Bob's own instead.
    intruding = bob.add_user_message(alice_id, "let me in", ChatSettings())
    assert intruding.conversation_id != alice_id
    assert bob.get_conversation(intruding.conversation_id) is not None

    kept = alice.get_conversation(alice_id)
    assert kept is not None and kept.title == f"alice's {SECRET_WORD} plans"
    messages, total = alice.recent_messages(alice_id, 40)
    assert total == 1 and [m.content for m in messages] == [f"alice's {SECRET_WORD} plans"]
    assert SECRET_WORD in alice.export_json(alice_id)
    assert SECRET_WORD in alice.export_markdown(alice_id)


def test_importing_someone_elses_export_makes_a_separate_copy(sessions, backend) -> None:
    alice, bob = chat_as(ALICE, sessions, backend), chat_as(BOB, sessions, backend)
    alice_id = alice.add_user_message(None, f"alice {SECRET_WORD}", ChatSettings()).conversation_id
    exported = alice.export_json(alice_id)

    copy = bob.import_json(exported)  # Bob holds the file, so he may have the copy, never the original
    assert copy.id != alice_id
    assert bob.rename(copy.id, "bob's copy") is True
    assert alice.get_conversation(alice_id).title == f"alice {SECRET_WORD}"
    assert [c.id for c in alice.list_conversations(limit=50, offset=0, search=None).items] == [alice_id]


def test_search_conversations_tool_only_searches_the_callers_conversations(sessions, backend) -> None:
    alice, bob = chat_as(ALICE, sessions, backend), chat_as(BOB, sessions, backend)
    alice_id = alice.add_user_message(None, f"the {SECRET_WORD} migration", ChatSettings()).conversation_id
    bob_id = bob.add_user_message(None, "what did I write about it?", ChatSettings()).conversation_id

    assert [m["id"] for m in search_tool(bob, bob_id, SECRET_WORD)["matches"]] == []
    found = search_tool(alice, alice_id, SECRET_WORD)["matches"]
    assert [m["id"] for m in found] == [alice_id]


def test_search_tool_reply_in_a_full_turn_never_names_the_other_users_chat(sessions, backend) -> None:
    """The whole tool loop through the real SDK and local model: the model asks for the search, the
    app runs it as Bob, the tool message stored in Bob's conversation has no trace of Alice's chat."""
    alice, bob = chat_as(ALICE, sessions, backend), chat_as(BOB, sessions, backend)
    alice_id = alice.add_user_message(None, f"{SECRET_WORD} launch codes", ChatSettings()).conversation_id
    settings = ChatSettings(tools=("search_conversations",))
    bob_id = bob.add_user_message(None, f"search my conversations for {SECRET_WORD}", settings).conversation_id
    for step in bob.turn(bob_id, settings):
        stream = getattr(step, "stream", None)
        if stream is not None:
            for _ in stream:
                pass
    stored, _ = bob.recent_messages(bob_id, 40)
    tool_messages = [m for m in stored if m.role == "tool"]
    assert tool_messages, [(m.role, m.content) for m in stored]
    for message in tool_messages:
        assert alice_id not in message.content
        assert {m["id"] for m in json.loads(message.content)["matches"]} <= {bob_id}
    assert all(alice_id not in (m.content or "") for m in stored)


# -- the embeddings explorer ------------------------------------------------------------------------------


@pytest.fixture
def explorer_as(sessions: sessionmaker[Session], local_server: RunningServer):
    """An explorer for `owner` over the real SDK backend on the local server, caching in the test's file."""
    backends: list[AzureInferenceBackend] = []

    def make(owner: str) -> EmbeddingExplorer:
        connection = offline_connection(local_server.url)
        backends.append(AzureInferenceBackend(connection))
        return EmbeddingExplorer(sessions, backends[-1], connection, owner=owner)

    yield make
    for item in backends:
        item.close()


def embeddings_requests(server: RunningServer) -> int:
    return sum(1 for r in server.state.requests if r.operation == "embeddings")


def test_embeddings_from_chat_history_only_offer_and_read_the_users_own_chats(sessions, backend, explorer_as) -> None:
    alice_chat, bob_chat = chat_as(ALICE, sessions, backend), chat_as(BOB, sessions, backend)
    alice_id = alice_chat.add_user_message(None, f"alice {SECRET_WORD} diary", ChatSettings()).conversation_id
    bob_id = bob_chat.add_user_message(None, "bob notes", ChatSettings()).conversation_id
    alice, bob = explorer_as(ALICE), explorer_as(BOB)

    assert [c.id for c in bob.conversations()] == [bob_id]
    assert [c.id for c in alice.conversations()] == [alice_id]
    stolen = bob.texts_from_conversations([alice_id, bob_id])
    assert stolen.texts == ("bob notes",)
    assert len(bob.texts_from_conversations([alice_id])) == 0
    assert alice.texts_from_conversations([alice_id]).texts == (f"alice {SECRET_WORD} diary",)


def test_the_embeddings_cache_belongs_to_its_user(sessions, local_server, explorer_as) -> None:
    texts = [f"{SECRET_WORD} text {i}" for i in range(5)]
    spec = EmbeddingSpec(model="local-embed")
    alice, bob = explorer_as(ALICE), explorer_as(BOB)

    before = embeddings_requests(local_server)
    assert alice.embed(texts, spec).status == "complete"
    after_alice = embeddings_requests(local_server)
    assert after_alice > before

    # Bob sees none of Alice's cached vectors: nothing to load, nothing "kept", and his own run asks
    # the endpoint again (a shared cache would also tell him which texts Alice embedded).
    assert bob.kept_count(texts, spec) == 0
    loaded = bob.load(texts, spec)
    assert (loaded.status, loaded.missing, len(loaded.indices)) == ("incomplete", 5, 0)
    assert bob.embed(texts, spec).status == "complete"
    assert embeddings_requests(local_server) > after_alice

    settled = embeddings_requests(local_server)
    assert alice.embed(texts, spec).status == "complete"
    assert bob.embed(texts, spec).status == "complete"
    assert embeddings_requests(local_server) == settled  # each user's own cache answers
    with sessions.begin() as session:
        owners = set(session.scalars(select(EmbeddingCacheEntry.owner)))
        conversation_owners = set(session.scalars(select(Conversation.owner)))
    assert owners == {ALICE, BOB}
    assert conversation_owners == set()
