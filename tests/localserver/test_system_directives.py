"""Directives in the system message (compare mode's tests fail one target through its system prompt)."""

from __future__ import annotations

import httpx

from localserver import RunningServer
from localserver.chat_model import plan_reply


def body(system: str, user: str) -> dict:
    return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}


def test_a_system_directive_applies_where_the_user_message_sets_none():
    plan = plan_reply(body("You are a target. /fault 500 /slow 5", "hello /slow 50"))
    assert plan.directives.fault is not None and plan.directives.fault.kind == "500"
    assert plan.directives.words_per_second == 50  # the user message's own directive wins
    assert plan_reply(body("You are a target.", "hello")).directives.fault is None


def test_the_system_prompts_fault_fails_the_request_over_http(local_server: RunningServer):
    url = local_server.url + "/openai/v1/chat/completions"
    failing = httpx.post(url, json={"model": "local-chat", **body("/fault 500", "hi")}, timeout=10)
    healthy = httpx.post(url, json={"model": "local-chat", **body("Be kind.", "hi")}, timeout=10)
    assert failing.status_code == 500 and healthy.status_code == 200
