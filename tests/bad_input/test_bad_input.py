"""Bad input across the pages, table-driven: each table row is one input and the outcome it must have.

Every case runs the real app (AppTest: router, page, local server, SQLite file) unless the row says
"service"; every AppTest case also requires `app.exception` to be empty (no stack trace) and checks
that nothing the user sent was lost: either it is stored whole, or it is refused with a message
saying why and nothing half-done is stored.

Decisions written down here: a message of up to 1,000,000 characters is stored whole (the model may
then refuse it as too long, with its own clear message); one character more is refused with the
limit, and the refused text is offered back for copying. An import holds at most 10,000 messages and
50 MB. Dimensions outside what the widget allows are ignored (the model default is used); inside
the widget's range but above the model's limit, the endpoint's refusal is shown.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import embedding_state as keys
from components.embedding_inputs import SAMPLE_TEXTS
from portal.attachments import AttachmentError, prepare_attachment
from portal.chat_service import ChatService, MessageTooLong, clean_user_text
from portal.chat_settings import ChatSettings
from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec
from portal.markdown_text import escape_markdown
from portal.settings import offline_connection
from storage import repository
from storage.transfer import EXPORT_FORMAT, EXPORT_VERSION
from tests.bad_input.conftest import Stored
from tests.chat.page import page_title, sidebar_conversations
from tests.chat.support import closed_port
from tests.faults.apptest import PortalApp, assert_no_exception, open_app, send, texts, transcript


@dataclass(frozen=True)
class Row:
    id: str
    given: Any  # the bad input
    expected: str  # the outcome, in words; the test asserts it (a substring of the message, or a value)
    detail: Any = None


def rows(*table: Row):
    return pytest.mark.parametrize("row", [pytest.param(r, id=r.id) for r in table])


def all_messages(app: AppTest) -> list[str]:
    """Every error, warning, info, success and toast text on the page."""
    return texts(app.error) + texts(app.warning) + texts(app.info) + texts(app.success) + texts(app.toast)


def shown(app: AppTest, expected: str) -> bool:
    return any(expected in message for message in all_messages(app))


def click(app: AppTest, label: str, timeout: float | None = None) -> AppTest:
    [target] = [b for b in app.button if b.label == label]
    target.click().run(timeout=timeout)
    assert_no_exception(app)
    return app


# -- 1. Chat messages --------------------------------------------------------------------------------

REFUSED, STORED = "refused", "stored"
ONE_MB = "x " * 500_000  # exactly 1,000,000 characters

CHAT_MESSAGES = (
    Row("empty", "", "Type a message first", REFUSED),
    Row("whitespace", " \n\t  \n", "Type a message first", REFUSED),
    Row("only-control-characters", "\x00\x01\x1b\x7f\u0085", "Type a message first", REFUSED),
    Row("over-the-1M-limit", "y" * 1_000_001, "The message is 1,000,001 characters; the limit is 1,000,000", REFUSED),
    Row("nul-and-control-characters", "he\x00llo\x07 wor\x1bld\tend", "hello world\tend", STORED),
    Row("right-to-left", "مرحبا بالعالم — שלום עולם", "مرحبا بالعالم — שלום עולם", STORED),
    Row("emoji-zwj-flags", "👩‍👩‍👧‍👦 🇺🇦 🤖 ok", "👩‍👩‍👧‍👦 🇺🇦 🤖 ok", STORED),
    Row("bidi-override", "\u202eevil.exe\u202c harmless", "\u202eevil.exe\u202c harmless", STORED),
    Row(  # /verbatim: the local model echoes raw Markdown, as a model may answer (see localserver/directives.py)
        "html-and-markdown",
        "<script>alert(1)</script> **bold** [x](javascript:alert(1)) /verbatim",
        "<script>alert(1)</script> **bold** [x](javascript:alert(1)) /verbatim",
        STORED,
    ),
    Row("unknown-directives", "/fault nonsense /long -5 /slow fast", "/fault nonsense /long -5 /slow fast", STORED),
    Row("exactly-1M-characters", ONE_MB, ONE_MB, STORED),
)


@rows(*CHAT_MESSAGES)
def test_chat_message(row: Row, env: PortalApp, stored: Stored) -> None:
    app = send(open_app(), row.given, timeout=60)
    if row.detail == REFUSED:
        assert shown(app, row.expected), all_messages(app)
        assert transcript(app) == [] and "c" not in app.query_params
        assert stored.conversations() == ()  # nothing half-stored
        return
    user, reply = stored.only_conversation_messages()
    assert (user.role, user.content) == ("user", row.expected)  # stored whole (cleaned of control characters only)
    assert reply.role == "assistant"
    if row.id == "exactly-1M-characters":  # the local model's context window is 131,072 tokens
        assert reply.status == "error" and "maximum context length is 131072 tokens" in reply.error
        assert shown(app, "maximum context length")
    else:
        restated = " ".join(row.expected.removesuffix(" /verbatim").split())  # the words, whitespace normalised
        assert reply.status == "complete" and reply.content.startswith(f'You said: "{restated}')
        # Shown as typed: neither Markdown nor HTML (escaped text in a paragraph, so no link can work).
        assert transcript(app)[0] == ("user", row.expected)
        [element] = [h.value for h in app.chat_message[0].html if "portal-user-text" in h.value]
        label = '<span class="portal-sr-only">You said:</span>'  # the screen-reader label shares the element
        paragraph = element.removeprefix(label)
        assert element.startswith(label) and paragraph.count("<") == 2 and paragraph.startswith('<p class="portal-user-text">')


def test_refused_long_message_is_offered_back_for_copying(env: PortalApp) -> None:
    text = "z" * 1_000_001
    app = send(open_app(), text, timeout=60)
    assert [code.value for code in app.code] == [text]


# -- 2. The conversation id in the URL --------------------------------------------------------------

URL_IDS = (
    Row("not-a-uuid", "not-a-uuid", "does not exist or is not yours"),
    Row("uuid-of-nothing", "6f1c2a0e-0000-4000-8000-000000000000", "does not exist or is not yours"),
    Row("10k-characters", "c" * 10_000, "does not exist or is not yours"),
    Row("sql-injection", "' OR 1=1 --", "does not exist or is not yours"),
    Row("another-owners-conversation", "<foreign>", "does not exist or is not yours"),
)


@rows(*URL_IDS)
def test_conversation_id_in_the_url(row: Row, env: PortalApp, stored: Stored) -> None:
    mine = stored.seed("My chat", ["hello", "hi"])
    foreign = stored.seed("Someone else's secret", ["secret question", "secret answer"], owner="someone-else")
    app = open_app(foreign if row.given == "<foreign>" else row.given)
    assert shown(app, row.expected)
    assert page_title(app) == "New chat" and transcript(app) == []
    assert not any("secret" in text.lower() for text in all_messages(app) + texts(app.markdown) + texts(app.caption))
    assert sidebar_conversations(app) == ["My chat"]
    send(app, "a fresh start")  # the page still works: a new conversation, the bad id is dropped
    assert app.query_params["c"] not in (row.given, foreign, mine)
    assert len(stored.conversations()) == 2


# -- 3. Search ----------------------------------------------------------------------------------------

SEARCHES = (
    Row("percent", "%", ["100% sure"]),
    Row("underscore", "_", ["snake_case name"]),
    Row("sql-or-1-equals-1", "' OR 1=1 --", []),
    Row("single-quote", "'", ["O'Brien's pub"]),
    Row("backslash-and-like-escape", "\\/", []),
    Row("10k-characters", "q" * 10_000, []),
)


@rows(*SEARCHES)
def test_search(row: Row, env: PortalApp, stored: Stored) -> None:
    for title in ("100% sure", "snake_case name", "O'Brien's pub", "plain chat"):
        stored.seed(title, [f"about {title}", "ok"])
    app = open_app()
    app.text_input(key="portal_sidebar_search").set_value(row.given).run()
    assert_no_exception(app)
    assert sidebar_conversations(app) == row.expected
    if not row.expected:
        assert any(caption.startswith("No conversation matches") for caption in texts(app.sidebar.caption))


# -- 4. Renaming ---------------------------------------------------------------------------------------

TITLES = (
    Row("10-KB-title", "T" * 10_240, "T" * 200),  # crafted past the widget's max_chars: stored clipped to 200
    Row("blank-title", "   ", "keep me"),  # ignored: the old title stays
    Row("newlines-and-tabs", "a\nb\tc", "a b c"),  # one line
)


@rows(*TITLES)
def test_rename(row: Row, env: PortalApp, stored: Stored) -> None:
    conversation_id = stored.seed("keep me", ["hello", "hi"])
    app = open_app(conversation_id)
    app.menu_button(key=f"conv_menu_{conversation_id}").click("Rename").run()
    app.text_input(key=f"title_{conversation_id}").set_value(row.given).run()  # Enter
    assert_no_exception(app)
    assert [c.title for c in stored.conversations()] == [row.expected]
    assert len(stored.messages(conversation_id)) == 2


# -- 4b. Folder names -----------------------------------------------------------------------------------

FOLDER_NAMES = (
    Row("10-KB-name", "F" * 10_240, "F" * 200, STORED),  # crafted past max_chars: the widget keeps 200 (storage refuses more)
    Row("blank-name", "   ", "Give the folder a name", REFUSED),
    Row("only-control-characters", "\x00\x01\x1b\x7f", "Give the folder a name", REFUSED),
    Row("newlines-and-tabs", "a\nb\tc", "a b c", STORED),  # one line
    Row("nul-and-control-characters", "pro\x00je\x07ct", "project", STORED),  # PostgreSQL refuses NUL in text
    Row("html-and-markdown", "<b>x</b> **y** [z](javascript:alert(1))", "<b>x</b> **y** [z](javascript:alert(1))", STORED),
)


@rows(*FOLDER_NAMES)
def test_folder_name(row: Row, env: PortalApp, stored: Stored) -> None:
    app = open_app()
    app.button(key="folder_new").click().run()
    app.text_input(key="folder_create_name").set_value(row.given)
    app.button(key="folder_create_go").click().run()
    assert_no_exception(app)
    with stored.sessions.begin() as session:
        names = [f.name for f in repository.list_folders(session)]
    if row.detail == REFUSED:
        assert names == []
        assert shown(app, row.expected), all_messages(app)
    else:
        assert names == [row.expected]
        [label] = [e.label for e in app.sidebar.expander if e.label != "Import a conversation"]
        assert label == escape_markdown(row.expected)  # shown as typed, never as Markdown or HTML


# -- 5. Importing a conversation ----------------------------------------------------------------------


def export(messages: Any = None, **conversation: Any) -> bytes:
    body = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "conversation": {"title": "t", **conversation}}
    body["messages"] = [{"role": "user", "content": "hi"}] if messages is None else messages
    return json.dumps(body).encode()


IMPORTS = (
    Row("invalid-utf8", b'\xff\xfe{"format": 1}', "The file is not valid JSON"),
    Row("binary-png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "The file is not valid JSON"),
    Row("truncated-json", export()[:-7], "The file is not valid JSON"),
    Row("json-array", b"[1, 2, 3]", "must contain a conversation export"),
    Row("nested-100k-deep", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    Row("wrong-format-field", json.dumps({"format": "chatgpt", "messages": []}).encode(), "This is not a conversation export"),
    Row("title-is-a-number", export(title=5), "title must be a string"),
    Row("messages-is-a-string", export(messages="hello"), 'The "messages" field must be a list'),
    Row("role-is-a-number", export(messages=[{"role": 3, "content": "x"}]), "Invalid messages[0]"),
    Row("content-is-a-list", export(messages=[{"role": "user", "content": ["x"]}]), "Invalid messages[0]"),
    Row("bad-timestamp", export(messages=[{"role": "user", "content": "x", "created_at": "yesterday"}]), "ISO 8601"),
    Row(
        "100k-messages",
        export(messages=[{"role": "user", "content": f"m{i}"} for i in range(100_000)]),
        "at most 10,000 can be imported",
    ),
)


@rows(*IMPORTS)
def test_import(row: Row, env: PortalApp, stored: Stored) -> None:
    app = open_app()
    app.get("file_uploader")[0].upload("export.json", row.given, "application/json")
    app.run()
    click(app, "Import", timeout=60)
    assert any(row.expected in e for e in texts(app.error)), texts(app.error)
    assert all(e.startswith("Could not import: ") for e in texts(app.error))
    assert stored.conversations() == ()  # all or nothing


def test_import_of_a_valid_export_still_works(env: PortalApp, stored: Stored) -> None:
    app = open_app()
    app.get("file_uploader")[0].upload(
        "export.json", export(messages=[{"role": "user", "content": "ünïcødé 👋"}]), "application/json"
    )
    app.run()
    click(app, "Import")
    assert [m.content for m in stored.only_conversation_messages()] == ["ünïcødé 👋"]


# -- 6. Attachments --------------------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


ATTACHMENTS = (
    Row("text-renamed-png", ("notes.png", b"just some text, not an image"), "notes.png is not a readable image"),
    Row("empty-png", ("empty.png", b""), "empty.png is empty"),
    Row("truncated-png", ("cut.png", png(64, 64)[:60]), "cut.png is not a readable image"),
    Row("45-megapixel-png", ("huge.png", png(9000, 5000)), "huge.png is 9000x5000 pixels; the limit is 40 megapixels"),
    Row("text-renamed-wav", ("voice.wav", b"RIFX not a wave"), "voice.wav is not a WAV file"),
)


@rows(*ATTACHMENTS)
def test_attachment(row: Row, env: PortalApp, stored: Stored) -> None:
    name, data = row.given
    app = open_app()
    app.chat_input[0].set_value("what is in the file?").upload(name, data)
    app.run(timeout=60)
    assert_no_exception(app)
    [user, reply] = stored.only_conversation_messages()
    assert user.content == "what is in the file?" and not user.parts  # the text still goes, without the file
    assert reply.status == "complete"
    # Refused with a reason: a toast (outlives the rerun after the reply), or an error where it streamed.
    assert clean_refusal(app, row.expected), all_messages(app)


def clean_refusal(app: AppTest, expected: str) -> bool:
    return shown(app, f"Not attached: {expected}") or shown(app, expected)


SERVICE_ATTACHMENTS = (
    Row("over-20-MB", ("big.png", b"\x89PNG" + b"\0" * (20 * 1024 * 1024)), "; the limit is"),
    Row("unsupported-extension", ("tool.exe", b"MZ\x90\x00"), "only images and audio can be attached"),
    Row("no-extension", ("README", b"hello"), "only images and audio can be attached"),
)


@rows(*SERVICE_ATTACHMENTS)
def test_attachment_service(row: Row) -> None:
    """service: files the chat input's own type and size checks stop in the browser."""
    name, data = row.given
    with pytest.raises(AttachmentError, match=row.expected):
        prepare_attachment(name, data)


# -- 7. Response format (JSON schema) --------------------------------------------------------------------

SCHEMAS = (
    Row("not-json", "{not json", "The schema is not valid JSON"),
    Row("not-a-json-schema", '{"type": "nonsense"}', "The schema is not a valid JSON Schema"),
    Row("json-but-not-an-object", "[1, 2]", "The schema must be a JSON object"),
    Row("wrong-keyword-type", '{"type": "object", "required": "name"}', "The schema is not a valid JSON Schema"),
)


@rows(*SCHEMAS)
def test_response_format_schema(row: Row, env: PortalApp, stored: Stored) -> None:
    app = send(open_app(), "first")
    conversation_id = app.query_params["c"]
    app.radio(key=f"format_{conversation_id}").set_value("json_schema").run()
    app.text_area(key=f"schema_{conversation_id}").input(row.given).run()
    assert_no_exception(app)
    assert any(row.expected in e and "previous response format is kept" in e for e in texts(app.error)), texts(app.error)
    send(app, "second")
    messages = stored.only_conversation_messages()
    assert messages[-1].status == "complete" and "response_format" not in (messages[-1].params or {})


# -- 8. Connections from the environment -----------------------------------------------------------------

CONFIGURATIONS = (
    Row(
        "malformed-endpoint-url",
        {"AZURE_INFERENCE_ENDPOINT": "not a url"},
        'AZURE_INFERENCE_ENDPOINT: "not a url" is not a URL (for example https://<resource>.services.ai.azure.com/models)',
    ),
    Row(
        "endpoint-with-query-string",
        {"AZURE_INFERENCE_ENDPOINT": "https://x.models.ai.azure.com/?api-version=1", "AZURE_INFERENCE_CREDENTIAL": "k"},
        'AZURE_INFERENCE_ENDPOINT: "https://x.models.ai.azure.com/?api-version=1" has a query string; '
        "remove it and set the api-version as its own setting (the SDK adds the query)",
    ),
    Row(
        "http-endpoint-with-entra-id",
        {"AZURE_INFERENCE_ENDPOINT": "{url}/models", "AZURE_INFERENCE_AUTH": "entra", "AZURE_INFERENCE_MODEL": "local-chat"},
        'AZURE_INFERENCE_ENDPOINT: "{url}/models" is http, and Entra ID tokens are only sent over https; use an https endpoint, '
        'set AZURE_INFERENCE_CREDENTIAL, or AZURE_INFERENCE_AUTH = "none" for a local server without authentication',
    ),
    Row(
        "foundry-endpoint-without-model",
        {"AZURE_INFERENCE_ENDPOINT": "{url}/models", "AZURE_INFERENCE_AUTH": "none"},
        "AZURE_INFERENCE_MODEL: not set; foundry endpoints need a model: "
        "set AZURE_INFERENCE_MODEL (and AZURE_INFERENCE_EMBEDDINGS_MODEL) to a deployment name",
    ),
    Row(
        "unknown-kind",
        {"AZURE_INFERENCE_ENDPOINT": "{url}", "AZURE_INFERENCE_KIND": "mainframe"},
        'AZURE_INFERENCE_KIND: "mainframe" is not one of foundry_v1, openai, openai_compatible, foundry, serverless, '
        "managed_compute, azure_openai, github_models, local",
    ),
    Row(
        "key-auth-without-key",
        {"AZURE_INFERENCE_ENDPOINT": "{url}", "AZURE_INFERENCE_AUTH": "key"},
        'AZURE_INFERENCE_CREDENTIAL: not set, but AZURE_INFERENCE_AUTH is "key"',
    ),
    Row(
        "context-budget-8k",
        {"PORTAL_CONTEXT_BUDGET_TOKENS": "8k"},
        'PORTAL_CONTEXT_BUDGET_TOKENS: "8k" is not a whole number of at least 1 (for example 8000)',
    ),
    Row("unknown-offline-demo-mode", {"PORTAL_OFFLINE_DEMO": "sometimes"}, 'PORTAL_OFFLINE_DEMO: "sometimes" is not one of auto, always, never'),
    Row("unknown-tracing-mode", {"PORTAL_TRACING": "jaeger"}, 'PORTAL_TRACING: "jaeger" is not one of off, console, otlp'),
    Row(
        "two-bad-values-and-a-key",
        {"AZURE_INFERENCE_ENDPOINT": "not a url", "AZURE_INFERENCE_CREDENTIAL": "sk-never-shown-0123456789", "PORTAL_TRACING": "jaeger"},
        'AZURE_INFERENCE_ENDPOINT: "not a url" is not a URL (for example https://<resource>.services.ai.azure.com/models)\n'
        'PORTAL_TRACING: "jaeger" is not one of off, console, otlp',
    ),
)


def shown_lines(message: str) -> list[str]:
    """The refused settings of a "Configuration problem" message: one Markdown list item each, as inline code."""
    return [re.fullmatch(r"- `(.*)`", line).group(1) for line in message.splitlines() if line.startswith("- ")]


@rows(*CONFIGURATIONS)
def test_misconfigured_connection_stops_with_what_to_fix(row: Row, bare_env: PortalApp, local_server) -> None:
    bare_env.set(**{name: value.format(url=local_server.url) for name, value in row.given.items()})
    app = open_app()
    assert_no_exception(app)  # no traceback: one error box
    [message] = texts(app.error)
    assert message.startswith("Configuration problem: ")
    assert shown_lines(message) == row.expected.format(url=local_server.url).split("\n")  # one line per bad value
    assert "sk-never-shown" not in message and "pydantic" not in message
    assert not app.chat_input  # no page runs on a broken configuration


REJECTED_CALLS = (
    Row("wrong-key", ("keyed", "", {"AZURE_INFERENCE_CREDENTIAL": "not-the-key"}), "The endpoint refused the credentials"),
    Row(
        "unknown-model",
        ("local", "/models", {"AZURE_INFERENCE_MODEL": "no-such-model", "AZURE_INFERENCE_AUTH": "none"}),
        "Unknown model: no-such-model",
    ),
    Row(
        "unknown-deployment",
        ("local", "/openai/deployments/nope", {"AZURE_INFERENCE_AUTH": "none"}),
        "The API deployment nope for this resource does not exist",
    ),
    Row("nothing-listening", ("closed", "", {"AZURE_INFERENCE_AUTH": "none"}), "The endpoint could not be reached"),
)


@rows(*REJECTED_CALLS)
def test_connection_the_endpoint_rejects(
    row: Row, bare_env: PortalApp, stored: Stored, local_server, keyed_server
) -> None:
    server, path, variables = row.given
    base = {"keyed": keyed_server.url, "local": local_server.url, "closed": f"http://127.0.0.1:{closed_port()}"}[server]
    bare_env.set(AZURE_INFERENCE_ENDPOINT=base + path, **variables)
    app = send(open_app(), "hello there")
    assert shown(app, row.expected), all_messages(app)
    user, reply = stored.only_conversation_messages()
    assert user.content == "hello there"  # the text is kept
    assert reply.status == "error" and row.expected in reply.error


def test_model_info_with_an_unreachable_endpoint(bare_env: PortalApp) -> None:
    bare_env.set(AZURE_INFERENCE_ENDPOINT=f"http://127.0.0.1:{closed_port()}", AZURE_INFERENCE_AUTH="none")
    app = open_app(page="model_info", timeout=60)
    assert any("The endpoint could not be reached" in e for e in texts(app.error))
    click(app, "Run connection test", timeout=60)
    assert "Run 1 chat: connection" in texts(app.error)
    assert "Run 1 embeddings: connection" in texts(app.error)


# -- 9. Embeddings ----------------------------------------------------------------------------------------


def embeddings_page() -> AppTest:
    return open_app(page="embeddings", timeout=60)


PASTED = (
    Row("zero-texts", " \n\t\n  ", "0 texts · 3 blank entries skipped"),
    Row("duplicates", "same\nsame\nsame\nother", "Embedded 4 texts (2 embedded"),  # each distinct text embedded once
    Row("one-100k-character-text", "word " * 20_000, "maximum context length is 8192 tokens"),
    Row("control-characters-only", "\x00\x01\n\x7f", "0 texts · 2 blank entries skipped"),
)


@rows(*PASTED)
def test_embeddings_pasted_texts(row: Row, env: PortalApp) -> None:
    app = embeddings_page()
    app.text_area(key=keys.PASTE).input(row.given).run()
    embed = next(b for b in app.button if b.label == "Embed")
    if row.id in ("zero-texts", "control-characters-only"):
        assert embed.disabled and row.expected in texts(app.caption)
        return
    click(app, "Embed", timeout=60)
    assert shown(app, row.expected), all_messages(app)


SAMPLE_EMBEDDED = f"Embedded {len(SAMPLE_TEXTS.splitlines())} texts"  # the page's own sample, as it opens
DIMENSIONS = (
    Row("dimensions-0", 0, SAMPLE_EMBEDDED),  # outside the widget's 1..8192: ignored, the model default is used
    Row("dimensions-100000", 100_000, SAMPLE_EMBEDDED),  # likewise
    Row("dimensions-5000", 5000, "'dimensions' must be between 1 and 3072"),  # allowed by the widget, refused by the model
)


@rows(*DIMENSIONS)
def test_embeddings_dimensions(row: Row, env: PortalApp) -> None:
    app = embeddings_page()
    app.number_input(key=keys.DIMENSIONS).set_value(row.given).run()
    assert_no_exception(app)
    click(app, "Embed", timeout=60)
    assert shown(app, row.expected), all_messages(app)


def test_embeddings_dimensions_service(local_server, tmp_path) -> None:
    """service: the explorer with a dimension the widget would never send says why it failed."""
    from portal.inference.azure_backend import AzureInferenceBackend
    from storage.engine import make_engine, make_sessionmaker
    from storage.migrate import upgrade_to_head

    engine = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    upgrade_to_head(engine)
    connection = offline_connection(local_server.url)
    backend = AzureInferenceBackend(connection)
    try:
        explorer = EmbeddingExplorer(make_sessionmaker(engine), backend, connection)
        outcome = explorer.embed(["a text", "another"], EmbeddingSpec(model="local-embed", dimensions=100_000))
        assert outcome.error is not None and "'dimensions' must be between 1 and 3072" in outcome.error.user_message()
    finally:
        backend.close()
        engine.dispose()


UPLOADS = (
    Row(
        "100k-line-csv",
        ("big.csv", "text,label\n" + "".join(f"line {i},l{i % 5}\n" for i in range(120_000))),
        "100,000 texts · 20,000 beyond the cap of 100,000 left out",
    ),
    Row("empty-csv", ("empty.csv", ""), "The CSV file could not be read"),
    Row("header-only-csv", ("header.csv", "text,label\n"), "The CSV file has no rows."),
    # No column looks like text: the one with the longest values is picked, and another can be chosen.
    Row("csv-without-a-text-column", ("numbers.csv", "id,score\n1,20\n3,40\n"), "2 texts"),
    Row("semicolon-delimiter", ("semi.csv", "text;label\nhello there;a\nbye now;b\n"), "2 texts"),  # columns text, label
    Row("tab-delimiter", ("tabs.csv", "text\tlabel\nhello there\ta\nbye now\tb\n"), "2 texts"),  # columns text, label
    Row("latin-1-bytes", ("old.csv", "text\ncaf\xe9 cr\xe8me\n".encode("cp1252")), "1 text"),
    Row(
        "100k-line-txt",
        ("lines.txt", "".join(f"line {i}\n" for i in range(120_000))),
        "100,000 texts · 20,000 beyond the cap of 100,000 left out",
    ),
)


@rows(*UPLOADS)
def test_embeddings_upload(row: Row, env: PortalApp) -> None:
    name, content = row.given
    app = embeddings_page()
    app.radio(key=keys.SOURCE).set_value("Upload CSV or TXT").run()
    app.get("file_uploader")[0].upload(name, content.encode() if isinstance(content, str) else content, "text/csv")
    app.run(timeout=60)
    assert_no_exception(app)
    said = texts(app.caption) + texts(app.error)
    # The count as a whole number: "2 texts" must not be found inside "12 texts", nor "1 text" in "1 texts".
    expected = re.compile(rf"(?<![\d,]){re.escape(row.expected)}(?![\w])")
    assert any(expected.search(text) for text in said), said
    if "delimiter" in row.id:  # sniffed: the text column is found and offered, not one "text;label" column
        assert app.selectbox(key=keys.TEXT_COLUMN).options == ["text", "label"]
        assert app.selectbox(key=keys.TEXT_COLUMN).value == "text"


# -- service level: the cleaning rules behind the chat input ----------------------------------------------


def test_clean_user_text_keeps_what_the_user_meant() -> None:
    """service: control characters go, everything printable (any script, emoji, bidi marks) stays."""
    assert clean_user_text("a\x00b\x1bc\u0085d\r\ne") == "abcd\ne"
    assert clean_user_text("\u202e\u200d👍") == "\u202e\u200d👍"
    with pytest.raises(MessageTooLong):
        clean_user_text("x" * 1_000_001)


def test_service_refuses_an_empty_message_without_storing(env: PortalApp, stored: Stored) -> None:
    """service: the same rule holds below the page (an API caller cannot store an empty message)."""
    service = ChatService(stored.sessions, backend=None)
    with pytest.raises(ValueError, match="Type a message first"):
        service.add_user_message(None, "\x00 \t", ChatSettings())
    assert stored.conversations() == ()
