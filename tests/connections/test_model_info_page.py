"""The Model info page and the router's connection picker, driven with Streamlit's AppTest against
the real local server (every endpoint style), configured the way a user would: environment
variables for the default connection, `[connections.*]` in secrets for named ones."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from components import state
from tests.apptest import PAGES, PortalApp, open_app
from tests.conftest import TEST_API_KEY

TIMEOUT = 30


def _configure(
    env: PortalApp,
    endpoint: str,
    key: str | None = TEST_API_KEY,
    model: str | None = None,
    embeddings_model: str | None = None,
    **extra: str,
):
    env.set(AZURE_INFERENCE_ENDPOINT=endpoint, **extra)
    if key is not None:
        env.set(AZURE_INFERENCE_CREDENTIAL=key)
    if model:
        env.set(AZURE_INFERENCE_MODEL=model)
    if embeddings_model:
        env.set(AZURE_INFERENCE_EMBEDDINGS_MODEL=embeddings_model)


def _run_page() -> AppTest:
    """The router opened on /model_info, as a direct link opens it."""
    return open_app(page="model_info", timeout=TIMEOUT)


def _capabilities(at: AppTest, index: int = 0) -> dict[str, dict]:
    frame = at.dataframe[index].value
    return {row["Capability"]: row for row in frame.to_dict("records")}


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


# -- GET /info and the capability probes ------------------------------------------------------------


def test_serverless_endpoint_shows_model_info(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("serverless", "local-chat"), model="local-chat")
    at = _run_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Model": "local-chat", "Provider": "Local", "Type": "chat-completion"}
    assert not at.error and not at.dataframe  # no capability probing needed when /info answers
    description = at.table[0].value
    assert "API key ••••" in description.to_string()
    assert TEST_API_KEY not in description.to_string()


def test_foundry_endpoint_explains_and_probes_capabilities(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("models"), model="local-chat", embeddings_model="local-embed")
    before = len(keyed_server.state.requests)
    at = _run_page()
    assert not at.metric
    assert any("Azure AI Foundry `/models` endpoints" in text and "`/info` answers 404" in text for text in _texts(at.info))
    rows = _capabilities(at)
    assert rows["chat"]["Answers"] == "yes" and rows["chat"]["Model"] == "local-chat"
    assert "finish: stop" in rows["chat"]["Detail"]
    assert rows["embeddings"]["Answers"] == "yes" and rows["embeddings"]["Model"] == "local-embed"
    assert rows["embeddings"]["Detail"] == "384 dimensions"
    # The page never asked /info of a kind that does not have it; both probes went to /models with a model.
    made = list(keyed_server.state.requests)[before:]
    assert {(r.style, r.operation, r.model, r.status) for r in made} == {
        ("foundry", "chat", "local-chat", 200),
        ("foundry", "embeddings", "local-embed", 200),
    }


def test_azure_openai_deployment_explains_and_embeddings_fail_gracefully(portal_app, keyed_server):
    _configure(
        portal_app,
        keyed_server.endpoint("openai", "local-chat"),
        model="local-chat",
        AZURE_INFERENCE_API_VERSION="2024-06-01",
    )
    before = len(keyed_server.state.requests)
    at = _run_page()
    assert any("Azure OpenAI deployments do not implement the `/info` route" in text for text in _texts(at.info))
    rows = _capabilities(at)
    assert rows["chat"]["Answers"] == "yes"
    assert rows["embeddings"]["Answers"] == "no"
    # OperationNotSupported (HTTP 400) from a chat deployment, shown in words, not as a traceback.
    assert "The embeddings operation does not work with the specified model, local-chat" in rows["embeddings"]["Detail"]
    assert "HTTP 400" in rows["embeddings"]["Detail"]
    made = list(keyed_server.state.requests)[before:]
    assert {(r.style, r.operation, r.status) for r in made} == {
        ("azure-openai", "chat", 200),
        ("azure-openai", "embeddings", 400),
    }


def test_wrong_key_shows_a_credentials_error(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("serverless", "local-chat"), key="not-the-key")
    at = _run_page()
    errors = _texts(at.error)
    assert len(errors) == 1
    assert "The endpoint refused the credentials" in errors[0] and "HTTP 401" in errors[0]
    assert "Check the API key" in errors[0]
    assert "not-the-key" not in errors[0]


def test_wrong_key_on_foundry_marks_both_capabilities_unavailable(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("models"), key="not-the-key", model="local-chat", embeddings_model="local-embed")
    rows = _capabilities(_run_page())
    for capability in ("chat", "embeddings"):
        assert rows[capability]["Answers"] == "no"
        assert "refused the credentials" in rows[capability]["Detail"]


# -- load_client detection ----------------------------------------------------------------------------


def test_load_client_detects_the_embeddings_client_on_a_serverless_embeddings_endpoint(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("serverless", "local-embed"), embeddings_model="local-embed")
    at = _run_page()
    assert {m.label: m.value for m in at.metric}["Type"] == "embedding"
    _button(at, "Detect with load_client()").click().run()
    assert not at.exception
    assert _texts(at.success) == ["`load_client()` returns **EmbeddingsClient** for this endpoint."]


def test_load_client_cannot_decide_on_foundry(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("models"), model="local-chat", embeddings_model="local-embed")
    at = _run_page()
    _button(at, "Detect with load_client()").click().run()
    assert not at.exception and not at.success
    warnings = _texts(at.warning)
    assert len(warnings) == 1
    assert warnings[0].startswith("`load_client()` cannot decide: The endpoint has no such model, deployment or path.")
    assert "Use ChatCompletionsClient or EmbeddingsClient directly" in warnings[0]


# -- connection test and latency ----------------------------------------------------------------------


def test_connection_test_draws_the_latency_chart_per_run(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("models"), model="local-chat", embeddings_model="local-embed")
    at = _run_page()
    at.slider[0].set_value(2)
    _button(at, "Run connection test").click().run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) == {"chat: time to first token (ms)", "chat: total (ms)", "embeddings (ms)"}
    for trace in traces.values():
        assert trace["x"] == ["run 1", "run 2"]
        assert all(value > 0 for value in trace["y"])
    assert not at.error  # no failed runs
    assert any(text.startswith("Mean tokens per second: ") for text in _texts(at.caption))
    # The capability table of the test itself (the first table is the Foundry probe of the page).
    assert _capabilities(at, index=-1)["embeddings"]["Answers"] == "yes"


def test_connection_test_reports_each_failed_run(portal_app, keyed_server):
    _configure(portal_app, keyed_server.endpoint("openai", "local-chat"), model="local-chat")
    at = _run_page()
    at.slider[0].set_value(2)
    _button(at, "Run connection test").click().run()
    assert not at.exception
    assert _texts(at.error) == ["Run 1 embeddings: bad_request", "Run 2 embeddings: bad_request"]
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {trace["name"] for trace in figure["data"]} == {"chat: time to first token (ms)", "chat: total (ms)"}


# -- the router's connection picker -------------------------------------------------------------------


def _connections(server) -> dict:
    return {
        "Serverless A": {"endpoint": server.endpoint("serverless", "local-chat"), "auth": "none"},
        "Foundry B": {
            "endpoint": server.endpoint("models"),
            "auth": "none",
            "chat_model": "local-chat",
            "embeddings_model": "local-embed",
        },
    }


def _router(server) -> AppTest:
    return open_app(secrets={"connections": _connections(server)}, timeout=TIMEOUT, run=False)


def _picker(at: AppTest):
    return at.selectbox(key=state.CONNECTION)


def _last_chat(server):
    return [r for r in server.state.requests if r.operation == "chat"][-1]


def test_picker_switches_the_backend_the_chat_page_uses(portal_app, local_server):
    at = _router(local_server).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _picker(at).label == "Connection"
    assert _picker(at).options == ["Serverless A", "Foundry B"]
    assert _picker(at).value == "Serverless A"
    assert any(text.startswith("Connection **Serverless A** · local ·") for text in _texts(at.caption))

    at.chat_input[0].set_value("hello through A").run()
    assert not at.exception, [e.value for e in at.exception]
    first = _last_chat(local_server)
    assert (first.style, first.path, first.model, first.status) == (
        "serverless",
        "/serverless/local-chat/chat/completions",
        "local-chat",
        200,
    )
    assert _picker(at).value == "Serverless A"  # the picker survives the reruns of the chat page

    _picker(at).set_value("Foundry B").run()
    assert not at.exception
    assert any(text.startswith("Connection **Foundry B** · foundry ·") for text in _texts(at.caption))
    at.chat_input[0].set_value("hello through B").run()
    assert not at.exception, [e.value for e in at.exception]
    second = _last_chat(local_server)
    assert (second.style, second.path, second.model, second.status) == ("foundry", "/models/chat/completions", "local-chat", 200)
    assert second is not first

    _picker(at).set_value("Serverless A").run()
    at.chat_input[0].set_value("and back to A").run()
    assert _last_chat(local_server).style == "serverless"
    replies = [m for m in at.chat_message if m.name == "assistant"]
    assert len(replies) == 3


def test_picker_is_hidden_with_a_single_connection(portal_app, local_server):
    at = open_app(secrets={"connections": {"Only": {"endpoint": local_server.url, "auth": "none"}}}, timeout=TIMEOUT)
    assert all(box.label != "Connection" for box in at.selectbox)
    assert at.session_state[state.CONNECTION] == "Only"


def test_a_misconfigured_connection_is_reported_not_raised(portal_app, local_server):
    at = open_app(
        secrets={"connections": {"Broken": {"endpoint": local_server.endpoint("models"), "auth": "none"}}}, timeout=TIMEOUT
    )
    assert _texts(at.error) == [
        "Configuration problem: fix these settings (environment variables or `.streamlit/secrets.toml`), then reload.\n\n"
        "- `[connections.Broken] chat_model: not set; foundry endpoints need a model: "
        "set chat_model (and embeddings_model) to a deployment name`"
    ]


def test_edited_secrets_take_effect_without_a_restart(portal_app, local_server):
    """Streamlit reloads secrets.toml when it changes; the cached settings must follow the values,
    not just the names of the top-level keys."""
    at = _router(local_server).run()
    assert _picker(at).options == ["Serverless A", "Foundry B"]
    edited = _connections(local_server)
    edited["Serverless A"]["endpoint"] = local_server.endpoint("serverless", "local-embed")
    at.secrets["connections"] = edited
    at.run()
    assert not at.exception
    assert any(local_server.endpoint("serverless", "local-embed") in text for text in _texts(at.caption))


def test_model_info_page_follows_the_picker(portal_app, local_server):
    at = _router(local_server).run()
    at.switch_page(PAGES["model_info"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Model"] == "local-chat"
    _picker(at).set_value("Foundry B").run()
    assert not at.exception
    assert not at.metric
    assert _capabilities(at)["embeddings"]["Detail"] == "384 dimensions"


# -- Foundry's OpenAI v1 API -------------------------------------------------------------------------


def test_v1_connection_lists_deployments_and_explains_the_retired_routes(portal_app, keyed_server):
    _configure(portal_app, keyed_server.url + "/openai/v1", model="local-chat")  # no embeddings model configured
    at = _run_page()
    deployments = {row["Name"]: row for row in at.dataframe[0].value.to_dict("records")}
    assert deployments["local-chat"]["Kind"] == "chat" and deployments["local-embed"]["Kind"] == "embeddings"
    assert any("retired on 2026-08-26" in text for text in _texts(at.info))
    rows = _capabilities(at, 1)
    assert rows["chat"]["Answers"] == "yes" and rows["chat"]["Model"] == "local-chat"
    # The embeddings probe uses the first embeddings deployment the endpoint listed.
    assert rows["embeddings"]["Answers"] == "yes" and rows["embeddings"]["Model"] == "local-embed"
    assert not [b for b in at.button if b.label == "Detect with load_client()"]
    description = at.table[0].value.to_string()
    assert "OpenAI v1 (openai package)" in description and "foundry_v1" in description
    assert TEST_API_KEY not in description


def test_v1_connection_with_a_wrong_key_says_why_the_list_is_missing(portal_app, keyed_server):
    _configure(portal_app, keyed_server.url + "/openai/v1", key="not-the-key", model="local-chat")
    at = _run_page()
    warnings = _texts(at.warning)
    assert len(warnings) == 1 and "deployments list could not be read (HTTP 401)" in warnings[0]
    rows = _capabilities(at)
    assert rows["chat"]["Answers"] == "no" and "refused the credentials" in rows["chat"]["Detail"]
    assert "not-the-key" not in "".join(warnings) + str(rows)
