"""A reasoning model's reply through the chat service, on SQLite and PostgreSQL and through both APIs:
its thinking is stored apart from the answer, counted, and never sent back to the model."""

from __future__ import annotations

from portal.chat_service import ChatService, to_chat_message
from portal.chat_settings import ChatSettings
from portal.inference import make_backend
from portal.reply_stream import COMPLETE
from portal.settings import offline_connection
from tests.chat.support import ChatDatabase, unique


def test_a_reasoning_reply_is_stored_with_its_thinking_apart_and_never_sent_back(chat_db: ChatDatabase, local_server, api):
    backend = make_backend(offline_connection(local_server.url, api))
    service = ChatService(chat_db.sessions, backend)
    settings = ChatSettings(model="local-reasoner")
    user = service.add_user_message(None, unique("What is 6*7?"), settings)
    thinking: list[str] = []
    prepared = service.prepare_reply(user.conversation_id, settings, on_reasoning=thinking.append)
    shown = "".join(prepared.stream)

    stored = chat_db.message(prepared.assistant_message_id)
    assert stored.status == COMPLETE
    assert stored.content == shown and "Working it out" not in stored.content
    assert stored.parts["reasoning"] == "".join(thinking) and "`6*7` gives 42" in stored.parts["reasoning"]
    if api == "openai":
        assert stored.parts["reasoning_tokens"] == 40 and stored.completion_tokens == 40 + len(shown.split())
    history = to_chat_message(stored)
    assert "Working it out" not in history.content and history.parts == ()
    backend.close()
