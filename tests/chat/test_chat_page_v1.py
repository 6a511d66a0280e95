"""The chat page on the OpenAI v1 backend (AppTest): the offline demo started with
`PORTAL_OFFLINE_API=openai`, which runs the bundled server's `/openai/v1` through the openai package.

A reply streams and is stored; a reasoning model's thinking shows in a collapsed Thinking block with
its token count; reasoning effort reaches the model; tools run; the deployments the endpoint lists
fill the model picker.
"""

from __future__ import annotations

import json

import pytest

from tests.chat.page import stats_line, tool_chips
from tests.chat.support import unique
from tests.chat.test_chat_page import Portal, bubble, open_app, portal, send, transcript  # noqa: F401 (the fixture)


@pytest.fixture
def v1_portal(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Portal:  # noqa: F811 (the imported fixture)
    monkeypatch.setenv("PORTAL_OFFLINE_API", "openai")
    return portal


def offline_server():
    from components import resources

    return resources.offline_server().wait()


def test_the_offline_demo_runs_on_the_openai_backend(v1_portal: Portal) -> None:
    app = open_app()
    banner = [c for c in app.caption if "Offline demo" in c.value]
    assert len(banner) == 1 and "OpenAI v1 API" in banner[0].proto.help, [c.value for c in app.caption]
    # The model picker is filled from the deployments the endpoint lists.
    picker = app.selectbox(key="model_draft")
    assert {"local-chat", "local-reasoner"} <= set(picker.options)
    text = unique("Hello v1, what is 2 + 3?")
    app = send(app, text)
    shown = transcript(app)
    assert shown[1][1].startswith(f'You said: "{text}".')
    chats = [r for r in offline_server().state.requests if r.operation == "chat"]
    assert chats[-1].path == "/openai/v1/chat/completions" and chats[-1].status == 200
    reply = v1_portal.messages(app.query_params["c"])[1]
    assert (reply.status, reply.finish_reason, reply.model) == ("complete", "stop", "local-chat")


def test_a_reasoning_reply_shows_its_thinking_collapsed_with_its_token_count(v1_portal: Portal) -> None:
    app = open_app()
    app.selectbox(key="model_draft").set_value("local-reasoner")
    app.selectbox(key="effort_draft").set_value("high")
    app = send(app, unique("What is 6*7?"))
    answer = bubble(app, 1)
    (thinking,) = answer.expander
    assert thinking.label == "Thinking · 80 tokens"
    assert not thinking.proto.expanded
    reasoning = "\n".join(md.value for md in thinking.markdown)
    assert "Working it out, `6*7` gives 42." in reasoning
    said = [md.value for md in answer.markdown if md not in thinking.markdown]
    assert any(text.startswith('You said: "What is 6\\*7?') for text in said)
    assert all("Working it out" not in text for text in said)
    assert "(80 reasoning)" in stats_line(answer)
    reply = v1_portal.messages(app.query_params["c"])[1]
    assert reply.params["reasoning_effort"] == "high" and reply.parts["reasoning_tokens"] == 80


def test_tools_run_on_the_openai_backend(v1_portal: Portal) -> None:
    app = open_app()
    app.multiselect(key="tools_draft").set_value(["calculator"])
    app = send(app, unique("what is 12*7?"))
    conversation = v1_portal.messages(app.query_params["c"])
    assert [m.role for m in conversation] == ["user", "assistant", "tool", "assistant"]
    assert conversation[1].parts["tool_calls"][0]["name"] == "calculator"
    assert json.loads(conversation[2].content)["result"] == 84
    assert "calculator returned 84" in conversation[3].content
    [(label, _, codes, _)] = tool_chips(bubble(app, 1))  # one turn, one chip
    assert label.startswith("calculator · ") and codes[0] == '{"expression": "12*7"}'
