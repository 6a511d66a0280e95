"""ChatService end to end: a real database (SQLite file and PostgreSQL), the real SDK, the local server.

What is checked is what a user would lose or see: their text is committed before any request, a
reply is saved with its metrics whatever happens to the stream, and every failure leaves a stored,
readable reason. Settings are checked on the server side (what the model actually received).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from localserver import RunningServer
from portal.chat_service import HISTORY_PAGE, ChatService, EmptyMessage
from portal.chat_settings import DEFAULT_SYSTEM_PROMPT, ChatSettings
from portal.inference import (
    SAMPLING_PARAMETERS,
    WIRE_CHAT_COMPLETIONS,
    WIRE_RESPONSES,
    InferenceBackend,
    SamplingParameter,
    make_backend,
)
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import offline_connection
from storage import repository
from storage.database import SessionFactory
from storage.records import MESSAGE_VALUES, MessageRecord
from tests.chat.support import ChatDatabase, closed_port, throwaway_server, unique
from tests.conftest import CHAT_COMPLETIONS_ONLY, PREAMBLE_EVENTS, TEST_API_KEY, chat_connection, reply_requests

DEFAULTS = ChatSettings()


def send(service: ChatService, text: str, settings: ChatSettings = DEFAULTS, conversation_id: str | None = None, **kwargs):
    """Add the user message, then stream the whole reply; returns (user message, prepared reply, deltas)."""
    user = service.add_user_message(conversation_id, text, settings)
    prepared = service.prepare_reply(user.conversation_id, settings, **kwargs)
    deltas = list(prepared.stream)
    return user, prepared, deltas


def roles_and_texts(messages: list[MessageRecord]) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in messages]


@pytest.fixture
def other_backend() -> Iterator[list[InferenceBackend]]:
    """Backends a test builds for other connections, closed afterwards."""
    made: list[InferenceBackend] = []
    yield made
    for backend in made:
        backend.close()


# -- the user's text is committed first ----------------------------------------------------------------


def test_user_text_is_committed_before_the_request_and_kept_when_it_fails(chat_db: ChatDatabase, service: ChatService) -> None:
    text = unique("/fault 500 please keep this")
    user = service.add_user_message(None, text, DEFAULTS)
    reader = chat_db.other_sessions()
    assert roles_and_texts(chat_db.messages(user.conversation_id, reader)) == [("user", text)]

    seen_during_request: list[list[tuple[str, str]]] = []

    def on_wait(seconds: float, attempt: int, error) -> None:
        # Called between the failed request and the retry: what is stored at that moment?
        seen_during_request.append([(m.role, m.status) for m in chat_db.messages(user.conversation_id, reader)])

    prepared = service.prepare_reply(user.conversation_id, DEFAULTS, on_wait=on_wait, max_retries=1)
    assert list(prepared.stream) == []

    assert seen_during_request == [[("user", "complete"), ("assistant", "streaming")]]
    stored = chat_db.messages(user.conversation_id, reader)
    assert roles_and_texts(stored) == [("user", text), ("assistant", "")]
    reply = stored[1]
    assert reply.id == prepared.assistant_message_id
    assert reply.status == "error"
    assert reply.error.startswith("The model service failed. Try again in a moment. Details: ")
    assert "HTTP 500" in reply.error
    assert reply.total_time_ms is not None and reply.total_time_ms >= 1000  # the one retry waited a second
    assert reply.time_to_first_token_ms is None


def test_user_text_is_kept_when_the_key_is_wrong(
    chat_db: ChatDatabase, keyed_server: RunningServer, other_backend, chat_api: str
) -> None:
    backend = make_backend(chat_connection(keyed_server.url, chat_api, api_key="wrong-key"))
    other_backend.append(backend)
    service = ChatService(chat_db.sessions, backend)
    refused_before = reply_requests(keyed_server, 401)
    text = unique("secret question")

    user, prepared, deltas = send(service, text)

    assert deltas == []
    assert reply_requests(keyed_server, 401) == refused_before + 1  # the request really was made and refused
    stored = chat_db.messages(user.conversation_id)
    assert roles_and_texts(stored) == [("user", text), ("assistant", "")]
    assert stored[1].status == "error"
    assert "refused the credentials" in stored[1].error and "HTTP 401" in stored[1].error
    assert "Check the API key" in stored[1].error
    assert chat_db.conversation_count() == 1

    # The same conversation works once the key is right (the refused attempt stays in the history).
    good = make_backend(chat_connection(keyed_server.url, chat_api, api_key=TEST_API_KEY))
    other_backend.append(good)
    _, retry, _ = send(ChatService(chat_db.sessions, good), "again", conversation_id=user.conversation_id)
    assert retry.stream.outcome.status == "complete"
    # The failed, empty reply is not sent to the model: two user messages, no earlier reply.
    assert "This conversation has 2 user messages and 0 earlier replies." in retry.stream.outcome.content


# -- a complete reply and its metrics --------------------------------------------------------------


def test_streamed_reply_is_stored_complete_with_its_metrics(chat_db: ChatDatabase, service: ChatService) -> None:
    text = unique("What is 6 * 7?")
    user, prepared, deltas = send(service, text)

    conversation = service.get_conversation(user.conversation_id)
    assert conversation is not None
    assert conversation.title == text  # short first messages become the title
    assert conversation.settings == DEFAULTS.to_dict()
    assert conversation.message_count == 2

    user_row, reply = chat_db.messages(user.conversation_id)
    assert (user_row.role, user_row.content, user_row.status) == ("user", text, "complete")
    assert reply.id == prepared.assistant_message_id
    assert reply.role == "assistant"
    assert reply.status == "complete"
    assert reply.content == "".join(deltas)
    assert reply.content.startswith(f'You said: "{text}".')
    assert "By my arithmetic `6 * 7` = 42." in reply.content
    assert reply.model == "local-chat"
    assert reply.finish_reason == "stop"
    assert reply.completion_tokens == len(deltas)
    words = len(DEFAULT_SYSTEM_PROMPT.split()) + len(text.split())
    assert reply.prompt_tokens == words
    assert reply.time_to_first_token_ms is not None and reply.time_to_first_token_ms > 0
    assert reply.total_time_ms is not None and reply.total_time_ms >= reply.time_to_first_token_ms
    assert reply.error is None
    assert reply.params == {}  # nothing overridden: the connection's defaults were used


def test_second_turn_sends_the_history(chat_db: ChatDatabase, service: ChatService) -> None:
    first, _, _ = send(service, unique("first question"))
    _, prepared, _ = send(service, "second question", conversation_id=first.conversation_id)
    assert "This conversation has 2 user messages and 1 earlier reply." in prepared.stream.outcome.content
    assert [m.role for m in chat_db.messages(first.conversation_id)] == ["user", "assistant", "user", "assistant"]


# -- stop, cut, missing end ------------------------------------------------------------------------


def test_closing_the_stream_mid_way_stores_stopped_with_the_partial_text(chat_db: ChatDatabase, service: ChatService) -> None:
    user = service.add_user_message(None, unique("/long 500 a very long story"), DEFAULTS)
    prepared = service.prepare_reply(user.conversation_id, DEFAULTS)
    taken = [next(prepared.stream) for _ in range(5)]

    prepared.stream.close()

    reply = chat_db.message(prepared.assistant_message_id)
    assert reply.status == "stopped"
    assert reply.content == "".join(taken)
    assert len(reply.content.split()) == 5
    assert reply.error is None
    assert reply.finish_reason is None
    assert reply.time_to_first_token_ms is not None
    assert reply.total_time_ms is not None


def test_cut_connection_stores_incomplete_with_the_tokens_that_arrived(
    chat_db: ChatDatabase, service: ChatService, chat_api: str
) -> None:
    cut = PREAMBLE_EVENTS[chat_api] + 4
    user, prepared, deltas = send(service, unique(f"/fault cut:{cut} cut this short"))
    reply = chat_db.message(prepared.assistant_message_id)
    assert reply.status == "incomplete"
    assert len(deltas) == 4  # the events before the first word and four tokens got through before the cut
    assert reply.content == "".join(deltas) == 'You said: "cut this'
    assert reply.error.startswith("The connection dropped before the reply finished; what arrived is kept.")
    assert "what arrived is kept" in reply.error
    assert reply.finish_reason is None
    assert chat_db.messages(user.conversation_id)[0].content.startswith(f"/fault cut:{cut} cut this short")


def test_stream_without_finish_stores_incomplete(chat_db: ChatDatabase, service: ChatService) -> None:
    _, prepared, deltas = send(service, unique("/fault nodone no end in sight"))
    reply = chat_db.message(prepared.assistant_message_id)
    assert reply.status == "incomplete"
    assert reply.content == "".join(deltas) and reply.content.startswith('You said: "no end in sight')
    assert "without a finish reason" in reply.error
    assert reply.finish_reason is None


def test_reply_left_streaming_is_recovered_as_incomplete(chat_db: ChatDatabase, service: ChatService) -> None:
    user = service.add_user_message(None, unique("/long 200 crash while streaming"), DEFAULTS)
    prepared = service.prepare_reply(user.conversation_id, DEFAULTS, flush_interval=0)
    taken = [next(prepared.stream) for _ in range(8)]

    # As if the app died here: the flushed text is stored, the row still says "streaming".
    stranded = chat_db.message(prepared.assistant_message_id, chat_db.other_sessions())
    assert stranded.status == "streaming"
    assert stranded.content == "".join(taken[:7])
    service.recover_interrupted(user.conversation_id)  # flushed just now: still streaming somewhere
    assert chat_db.message(prepared.assistant_message_id).status == "streaming"
    service.recover_interrupted(user.conversation_id, stale_after_seconds=0)  # as if silent for long
    assert chat_db.message(prepared.assistant_message_id).status == "incomplete"
    prepared.stream.close()


# -- retries and errors ----------------------------------------------------------------------------


def test_rate_limit_twice_is_retried_then_completes(chat_db: ChatDatabase, service: ChatService) -> None:
    waits: list[tuple[float, int, str]] = []
    user, prepared, deltas = send(
        service, unique("/fault 429x2 busy now"), on_wait=lambda s, n, e: waits.append((s, n, e.kind.value)), max_retries=3
    )
    assert waits == [(1.0, 1, "rate_limited"), (1.0, 2, "rate_limited")]
    stored = chat_db.messages(user.conversation_id)
    assert [(m.role, m.status) for m in stored] == [("user", "complete"), ("assistant", "complete")]
    assert stored[1].content == "".join(deltas) and stored[1].content.startswith('You said: "busy now')
    assert stored[1].error is None
    assert stored[1].total_time_ms >= 2000  # the two waits are part of the reply's total time


def test_rate_limit_that_persists_is_an_error_and_keeps_the_user_message(chat_db: ChatDatabase, service: ChatService) -> None:
    text = unique("/fault 429 always busy")
    waits: list[int] = []
    user, prepared, deltas = send(service, text, on_wait=lambda s, n, e: waits.append(n), max_retries=1)
    assert deltas == [] and waits == [1]
    stored = chat_db.messages(user.conversation_id)
    assert roles_and_texts(stored) == [("user", text), ("assistant", "")]
    assert stored[1].status == "error"
    assert stored[1].error.startswith("The endpoint is rate limiting requests. Wait a moment, then try again. Details: Rate limit ")  # "is exceeded" (Azure) or "reached for requests" (OpenAI)
    assert "HTTP 429" in stored[1].error
    assert "rate limiting requests" in stored[1].error


def test_content_filter_stores_the_filter_message(chat_db: ChatDatabase, service: ChatService) -> None:
    text = unique("/fault filter something the filter dislikes")
    user, prepared, _ = send(service, text, max_retries=3)
    user_row, reply = chat_db.messages(user.conversation_id)
    assert user_row.content == text
    assert reply.status == "error"
    assert reply.error.startswith("The content filter blocked this request. Rephrase the message and send it again. Details: ")


def test_connection_refused_stores_the_connection_message(chat_db: ChatDatabase, other_backend, chat_api: str) -> None:
    backend = make_backend(chat_connection(f"http://127.0.0.1:{closed_port()}", chat_api))
    other_backend.append(backend)
    service = ChatService(chat_db.sessions, backend)
    user, prepared, _ = send(service, "is anyone there", max_retries=3)
    user_row, reply = chat_db.messages(user.conversation_id)
    assert user_row.content == "is anyone there"
    assert reply.status == "error"
    assert reply.error.startswith("The endpoint could not be reached. Check the URL and that the service is running. Details: ")
    assert "Check the URL and that the service is running" in reply.error


def test_read_timeout_stores_the_timeout_message(chat_db: ChatDatabase, other_backend, chat_api: str) -> None:
    text = unique("/fault hang:5 slow thinker")
    with throwaway_server() as server:
        backend = make_backend(chat_connection(server.url, chat_api), read_timeout_seconds=1)
        other_backend.append(backend)
        user, prepared, _ = send(ChatService(chat_db.sessions, backend), text, max_retries=3)
    user_row, reply = chat_db.messages(user.conversation_id)
    assert user_row.content == text
    assert reply.status == "error"
    assert reply.error.startswith("The model did not answer in time. Try again, or raise the timeout.")
    assert "raise the timeout" in reply.error
    assert reply.total_time_ms < 4000


# -- flushing while streaming ----------------------------------------------------------------------


def test_partial_text_is_readable_from_another_session_while_streaming(chat_db: ChatDatabase, service: ChatService) -> None:
    user = service.add_user_message(None, unique("/long 60 /slow 200 stream slowly"), DEFAULTS)
    prepared = service.prepare_reply(user.conversation_id, DEFAULTS, flush_interval=0)
    reader = chat_db.other_sessions()

    taken = [next(prepared.stream) for _ in range(12)]
    during = chat_db.message(prepared.assistant_message_id, reader)

    assert during.status == "streaming"
    assert during.content  # partial text is in the database before the reply is over
    assert "".join(taken).startswith(during.content)
    assert len(during.content.split()) >= 10

    rest = list(prepared.stream)
    after = chat_db.message(prepared.assistant_message_id, reader)
    assert after.status == "complete"
    assert after.content == "".join(taken + rest)
    assert len(after.content.split()) == 60


# -- the context budget ----------------------------------------------------------------------------


def test_tiny_context_budget_drops_the_oldest_turns_and_keeps_the_system_prompt(
    chat_db: ChatDatabase, service: ChatService, backend: InferenceBackend
) -> None:
    first, _, _ = send(service, unique("alpha question about rivers"))
    cid = first.conversation_id
    send(service, "beta question about mountains", conversation_id=cid)
    send(service, "gamma question about oceans", conversation_id=cid)
    last_text = "delta question about deserts"
    service.add_user_message(cid, last_text, DEFAULTS)

    tight = ChatService(chat_db.sessions, backend, context_budget_tokens=80)
    prepared = tight.prepare_reply(cid, DEFAULTS)
    context = prepared.context
    content = "".join(prepared.stream)

    assert context.truncated is True
    assert context.messages[0].role == "system"
    assert context.messages[0].content == DEFAULT_SYSTEM_PROMPT
    assert context.messages[-1].role == "user" and context.messages[-1].content == last_text
    assert 1 <= context.history_kept < 7
    assert len(context.messages) == context.history_kept + 1
    assert context.estimated_tokens <= 80
    # The kept history is the newest tail of the stored conversation, in order.
    stored = [m for m in chat_db.messages(cid) if m.id != prepared.assistant_message_id]
    assert [(m.role, m.content) for m in context.messages[1:]] == roles_and_texts(stored[-context.history_kept :])
    # ...and that is what the model received: it counts only the kept turns and still sees the system prompt.
    users = sum(1 for m in context.messages if m.role == "user")
    replies = sum(1 for m in context.messages if m.role == "assistant")
    assert users < 4
    assert f"This conversation has {users} user message{'s' if users != 1 else ''}" in content
    assert f"and {replies} earlier repl{'ies' if replies != 1 else 'y'}." in content
    assert 'The system prompt says: "You are a helpful assistant."' in content
    assert "rivers" not in content  # the oldest turn never reached the model

    roomy = service.prepare_reply(cid, DEFAULTS)
    assert roomy.context.truncated is False
    roomy.stream.close()


def test_newest_message_is_sent_even_when_it_alone_exceeds_the_budget(chat_db: ChatDatabase, backend: InferenceBackend) -> None:
    tight = ChatService(chat_db.sessions, backend, context_budget_tokens=1)
    first, _, _ = send(tight, unique("one"))
    _, prepared, _ = send(tight, "two " * 50, conversation_id=first.conversation_id)
    assert prepared.context.truncated is True
    assert [m.role for m in prepared.context.messages] == ["system", "user"]
    assert prepared.stream.outcome.status == "complete"
    assert "This conversation has 1 user message and 0 earlier replies." in prepared.stream.outcome.content


# -- regenerate and edit ---------------------------------------------------------------------------


def _two_turns(service: ChatService) -> str:
    first, _, _ = send(service, unique("first"))
    send(service, "second", conversation_id=first.conversation_id)
    return first.conversation_id


@CHAT_COMPLETIONS_ONLY  # seed, stop, max_tokens < 16
def test_regenerate_adds_a_sibling_reply_and_keeps_the_old_one(chat_db: ChatDatabase, service: ChatService) -> None:
    cid = _two_turns(service)
    before = chat_db.messages(cid)

    assert service.regenerate(cid, before[3].id) is True
    shown, length = service.recent_messages(cid, 40)
    assert ([m.id for m in shown], length) == ([m.id for m in before[:3]], 3)

    prepared = service.prepare_reply(cid, DEFAULTS.with_changes(seed=1))
    content = "".join(prepared.stream)
    assert content.startswith('You wrote: "second".')  # a new reply, made with the new settings
    shown, _ = service.recent_messages(cid, 40)
    assert [m.role for m in shown] == ["user", "assistant", "user", "assistant"]
    assert shown[3].id == prepared.assistant_message_id and shown[3].content == content and shown[3].params == {"seed": 1}
    # The old reply is kept as the other alternative: "< 1 / 2 >".
    switch = service.siblings(cid, shown)[shown[3].id]
    assert (switch.ids, switch.index) == ((before[3].id, shown[3].id), 1)
    assert service.show_branch(cid, before[3].id) is True
    assert service.recent_messages(cid, 40)[0][3].content == before[3].content
    assert service.get_conversation(cid).message_count == 5


def test_regenerate_after_a_failed_reply_and_refusals(chat_db: ChatDatabase, service: ChatService) -> None:
    user, _, _ = send(service, unique("/fault 500 flaky"), max_retries=0)
    cid = user.conversation_id
    failed = chat_db.messages(cid)[1]
    assert failed.status == "error"
    assert service.regenerate(cid, failed.id) is True
    assert [m.role for m in service.recent_messages(cid, 40)[0]] == ["user"]

    with chat_db.sessions.begin() as session:
        empty = repository.create_conversation(session, title="empty")
    assert service.regenerate(empty.id, failed.id) is False  # not a reply of that conversation
    assert service.regenerate(cid, user.id) is False  # not a reply
    assert service.regenerate(cid, 10**9) is False


def test_edit_forks_the_conversation_at_any_user_message(chat_db: ChatDatabase, service: ChatService) -> None:
    cid = _two_turns(service)
    send(service, "third", conversation_id=cid)
    before = chat_db.messages(cid)
    assert len(before) == 6

    edited = service.edit_message(cid, before[2].id, "second, \x00but better")
    assert edited is not None and edited.content == "second, but better"
    shown, length = service.recent_messages(cid, 40)
    assert roles_and_texts(shown) == roles_and_texts(before[:2]) + [("user", "second, but better")]
    assert length == 3

    content = "".join(service.prepare_reply(cid, DEFAULTS).stream)
    assert content.startswith('You said: "second, but better".')
    assert "This conversation has 2 user messages and 1 earlier reply." in content  # only its branch was sent
    shown, _ = service.recent_messages(cid, 40)
    assert [m.id for m in shown[:3]] == [before[0].id, before[1].id, edited.id] and len(shown) == 4
    # The original question and everything after it are one click away.
    switch = service.siblings(cid, shown)[edited.id]
    assert switch.ids == (before[2].id, edited.id)
    assert service.show_branch(cid, before[2].id) is True
    assert [m.id for m in service.recent_messages(cid, 40)[0]] == [m.id for m in before]

    with pytest.raises(EmptyMessage):
        service.edit_message(cid, before[2].id, "  \n ")
    assert service.edit_message(cid, before[1].id, "not a user message") is None
    assert service.get_conversation(cid).message_count == 8  # a refused edit changes nothing


class CountingSessions:
    """The real session factory, counting the transactions opened through it."""

    def __init__(self, sessions: SessionFactory):
        self._sessions = sessions
        self.begun = 0

    def begin(self):  # noqa: ANN201 - whatever the wrapped factory's begin() returns
        self.begun += 1
        return self._sessions.begin()


LONG_CONVERSATION = HISTORY_PAGE + 60  # an edit must not depend on a window of the newest messages


@pytest.mark.parametrize("chat_api", ["azure-ai-inference"], ids=["inference-sdk"], indirect=True)
def test_edit_of_an_early_message_in_a_long_conversation_is_one_transaction(chat_db: ChatDatabase, backend) -> None:
    sessions = CountingSessions(chat_db.sessions)
    service = ChatService(sessions, backend)
    with chat_db.sessions.begin() as session:
        conversation = repository.create_conversation(session, title="long")
        ids = [
            repository.add_message(session, conversation.id, role=("user", "assistant")[n % 2], content=f"message {n}").id
            for n in range(LONG_CONVERSATION)
        ]

    edited = service.edit_message(conversation.id, ids[2], "message 2, edited")
    assert sessions.begun == 1  # the original is read and its sibling written in one transaction
    assert edited is not None and (edited.parent_id, edited.depth) == (ids[1], 2)
    shown, length = service.recent_messages(conversation.id, 40)
    assert [m.id for m in shown] == [ids[0], ids[1], edited.id] and length == 3
    assert service.siblings(conversation.id, shown)[edited.id].ids == (ids[2], edited.id)
    assert service.get_conversation(conversation.id).message_count == LONG_CONVERSATION + 1
    content = "".join(service.prepare_reply(conversation.id, DEFAULTS).stream)
    assert content.startswith('You said: "message 2, edited".')
    assert "This conversation has 2 user messages and 1 earlier reply." in content  # only the new branch was sent


# -- export and import -----------------------------------------------------------------------------


def test_export_json_and_markdown_and_import_round_trip(chat_db: ChatDatabase, service: ChatService) -> None:
    settings = DEFAULTS.with_changes(temperature=0.5, seed=2)
    first, _, _ = send(service, unique("Export me"), settings)
    cid = first.conversation_id
    send(service, "/fault filter blocked one", settings, conversation_id=cid, max_retries=0)
    original = chat_db.messages(cid)

    exported = json.loads(service.export_json(cid))
    assert exported["format"] == repository.EXPORT_FORMAT
    assert exported["version"] == repository.EXPORT_VERSION
    assert exported["conversation"]["title"] == first.content
    assert exported["conversation"]["settings"]["temperature"] == 0.5
    assert [(m["role"], m["status"]) for m in exported["messages"]] == [
        ("user", "complete"),
        ("assistant", "complete"),
        ("user", "complete"),
        ("assistant", "error"),
    ]
    assert exported["messages"][1]["params"] == {"temperature": 0.5, "seed": 2}
    assert exported["messages"][1]["model"] == "local-chat"

    markdown = service.export_markdown(cid)
    assert markdown.startswith(f"# {first.content}\n")
    assert "## User\n\n" + first.content in markdown
    assert "## Assistant\n\n" + original[1].content in markdown
    assert "## Assistant (error)" in markdown
    assert "> Error: The content filter blocked this request" in markdown

    for raw in (service.export_json(cid), service.export_json(cid).encode("utf-8")):
        imported = service.import_json(raw)
        assert imported.id != cid
        assert imported.title == first.content
        assert imported.settings == settings.to_dict()
        copy = chat_db.messages(imported.id)
        assert [[getattr(m, f) for f in MESSAGE_VALUES] for m in copy] == [[getattr(m, f) for f in MESSAGE_VALUES] for m in original]
    assert chat_db.conversation_count() == 3


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not json at all",
        b"\xff\xfe\x00garbage",
        "[1, 2, 3]",
        '"a string"',
        "{}",
        '{"format": "azure-ai-portal.conversation", "version": 99, "conversation": {}, "messages": []}',
        '{"format": "azure-ai-portal.conversation", "version": 1, "conversation": {}, "messages": [{"role": "robot"}]}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["empty", "text", "binary", "list", "string", "object", "version", "role", "deep"],
)
def test_import_of_garbage_is_refused_and_stores_nothing(chat_db: ChatDatabase, service: ChatService, garbage) -> None:
    with pytest.raises(repository.InvalidImport) as refused:
        service.import_json(garbage)
    assert str(refused.value)
    assert chat_db.conversation_count() == 0


# -- what the user typed ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", " \n\t \n", "\x00", "\x00\x00 \x00", "\x07\x1b\x7f", "\u0085\u009b"])
def test_empty_message_is_refused_and_nothing_is_stored(chat_db: ChatDatabase, service: ChatService, text: str) -> None:
    with pytest.raises(EmptyMessage, match="empty message"):
        service.add_user_message(None, text, DEFAULTS)
    assert chat_db.conversation_count() == 0

    existing = service.add_user_message(None, "hello", DEFAULTS)
    with pytest.raises(EmptyMessage):
        service.add_user_message(existing.conversation_id, text, DEFAULTS)
    assert roles_and_texts(chat_db.messages(existing.conversation_id)) == [("user", "hello")]


def test_control_characters_are_stripped_before_storing_and_sending(chat_db: ChatDatabase, service: ChatService) -> None:
    raw = "he\x00llo\x07 wor\x1b[31mld\r\n\tsecond\x7f line\u009b \u00e9t\u00e9 \U0001f600"
    user, prepared, _ = send(service, raw)
    assert user.content == "hello wor[31mld\n\tsecond line \u00e9t\u00e9 \U0001f600"
    assert chat_db.messages(user.conversation_id)[0].content == user.content
    assert prepared.stream.outcome.content.startswith('You said: "hello wor[31mld second line \u00e9t\u00e9 \U0001f600".')


# -- settings are request parameters ---------------------------------------------------------------


@CHAT_COMPLETIONS_ONLY  # seed, stop, max_tokens < 16
def test_settings_are_sent_as_request_parameters_and_stored_with_the_reply(chat_db: ChatDatabase, service: ChatService) -> None:
    settings = ChatSettings(
        temperature=0.7, top_p=0.9, max_tokens=3, presence_penalty=0.1, frequency_penalty=0.2, seed=2, stop=("conversation",)
    )
    user, prepared, deltas = send(service, unique("hello there"), settings)
    reply = chat_db.message(prepared.assistant_message_id)
    # The server obeyed them: seed 2 picks "Your message reads:", max_tokens=3 cut it at three tokens.
    assert reply.content == "".join(deltas) == "Your message reads:"
    assert reply.completion_tokens == 3
    assert reply.finish_reason == "length"
    assert reply.status == "complete"
    assert reply.params == {
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 3,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.2,
        "seed": 2,
        "stop": ["conversation"],
    }
    assert service.get_conversation(user.conversation_id).settings == settings.to_dict()


@CHAT_COMPLETIONS_ONLY  # seed, stop, max_tokens < 16
def test_stop_sequence_truncates_the_reply_before_the_word(chat_db: ChatDatabase, service: ChatService) -> None:
    text = unique("tell me something")
    _, prepared, _ = send(service, text, ChatSettings(stop=("conversation",)))
    reply = chat_db.message(prepared.assistant_message_id)
    assert reply.content == f'You said: "{text}". This '
    assert "conversation" not in reply.content
    assert reply.finish_reason == "stop"
    assert reply.params == {"stop": ["conversation"]}


REFUSED = "not-a-number"  # a value the local server refuses for every sampling parameter, naming it
ALSO_SENT_AS = {"max_tokens": "max_completion_tokens"}  # the openai backend's name where the endpoint wants that


@pytest.mark.parametrize("chat_db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("parameter", SAMPLING_PARAMETERS, ids=[p.name for p in SAMPLING_PARAMETERS])
def test_every_sampling_parameter_reaches_the_request(
    chat_db: ChatDatabase, service: ChatService, chat_api: str, parameter: SamplingParameter
) -> None:
    # From the one definition to the wire: a chat setting, the call options, the backend's request,
    # and the server, which refuses the value and names the parameter it received.
    _, prepared, _ = send(service, unique("hello"), DEFAULTS.with_changes(**{parameter.name: REFUSED}))
    reply = chat_db.message(prepared.assistant_message_id)
    assert reply.params == {parameter.name: REFUSED}
    sent_as = parameter.wire_name(WIRE_RESPONSES if chat_api == "responses" else WIRE_CHAT_COMPLETIONS)
    if sent_as is None:  # this wire has no such parameter (seed on the Responses API): not sent
        assert reply.status == "complete", reply.error
        return
    assert reply.status == "error" and "HTTP 400" in reply.error
    assert any(f"'{name}'" in reply.error for name in (sent_as, ALSO_SENT_AS.get(sent_as))), reply.error


def test_out_of_range_temperature_is_rejected_by_the_server(chat_db: ChatDatabase, service: ChatService) -> None:
    # Proof that the value travels in the request: the server validates it and says which field is wrong.
    _, prepared, _ = send(service, unique("too hot"), ChatSettings(temperature=2.5))
    reply = chat_db.message(prepared.assistant_message_id)
    assert reply.status == "error"
    assert "'temperature'" in reply.error  # the endpoint's own words (Azure's and OpenAI's differ)
    assert "HTTP 400" in reply.error
    assert reply.params == {"temperature": 2.5}


def test_model_setting_is_sent_to_a_foundry_style_endpoint(
    chat_db: ChatDatabase, local_server: RunningServer, other_backend
) -> None:
    backend = AzureInferenceBackend(offline_connection(local_server.endpoint("models")))
    other_backend.append(backend)
    service = ChatService(chat_db.sessions, backend)

    _, unknown, _ = send(service, unique("which model"), ChatSettings(model="no-such-model"))
    reply = chat_db.message(unknown.assistant_message_id)
    assert reply.status == "error"
    assert "Unknown model: no-such-model" in reply.error
    assert reply.model == "no-such-model"
    assert reply.params == {"model": "no-such-model"}

    _, known, _ = send(service, unique("which model"), ChatSettings(model="local-chat"))
    assert chat_db.message(known.assistant_message_id).status == "complete"


def test_developer_role_and_custom_system_prompt_are_sent(chat_db: ChatDatabase, service: ChatService) -> None:
    settings = ChatSettings(system_prompt="Answer like a pirate captain.", system_role="developer")
    _, prepared, _ = send(service, unique("ahoy"), settings)
    assert 'The developer prompt says: "Answer like a pirate captain."' in prepared.stream.outcome.content

    _, bare, _ = send(service, unique("no system"), ChatSettings(system_prompt="  "))
    assert [m.role for m in bare.context.messages] == ["user"]
    assert "prompt says" not in bare.stream.outcome.content
