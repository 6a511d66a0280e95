"""The connection picker (rendered by the router so it survives page switches), the one-line backend
banner, and "Connect your model": the offline demo's way to a real deployment (portal/connect.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NoReturn

import streamlit as st

from portal.connect import (
    AUTH_CHOICES,
    EXAMPLE_ENDPOINT,
    ConnectForm,
    admin_lines,
    connection_from_form,
    may_connect,
    save_connection,
)
from portal.inference.credentials import AUTH_ENTRA, AUTH_KEY
from portal.inference.endpoints import API_OPENAI
from portal.settings import ConfigError, Secret

from . import auth, notices, resources, state

AUTH_LABELS = {AUTH_KEY: "API key", AUTH_ENTRA: "Entra ID (az login, managed identity)", "none": "None (a local server)"}


def _code_span(text: str) -> str:
    """`text` as inline code, whatever backticks it holds (so no value is read as Markdown)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def configuration_problem(error: ConfigError) -> NoReturn:
    """One line per refused setting, each as written (code, not Markdown), then stop: no page runs."""
    lines = "\n".join(f"- {_code_span(line)}" for line in error.lines)
    st.error(
        "Configuration problem: fix these settings (environment variables or `.streamlit/secrets.toml`), then reload.\n\n" + lines
    )
    st.stop()


def connection_picker() -> None:
    try:
        settings = resources.get_settings()
    except ConfigError as exc:
        configuration_problem(exc)
    names = [c.name for c in settings.connections]
    if st.session_state.get(state.CONNECTION) not in names:
        st.session_state[state.CONNECTION] = names[0]
    if len(names) > 1:
        st.sidebar.selectbox("Connection", names, key=state.CONNECTION)


def _open_connect() -> None:
    st.session_state[state.CONNECTING] = True


def _close_connect() -> None:
    st.session_state.pop(state.CONNECTING, None)


def backend_banner() -> None:
    connection = resources.current_connection()
    if connection.offline:
        api = "OpenAI v1 API" if connection.api == API_OPENAI else "Azure AI Model Inference API"
        with st.container(horizontal=True, key="demo_banner", vertical_alignment="center", gap="small", wrap=False):
            st.caption(
                ":material/cloud_off: **Offline demo**: a small local model answers",
                width="stretch",
                help=f"The bundled local server at `{connection.endpoint}`, through the {api}.",
            )
            st.button("Connect your model", key="connect_open", icon=":material/link:", on_click=_open_connect)
        if st.session_state.get(state.CONNECTING):
            connect_dialog()
    else:
        st.caption(f"Connection **{connection.name}** · {connection.kind.value} · `{connection.endpoint}`")


def secrets_file() -> Path:
    """The project's secrets.toml: the last file in Streamlit's `secrets.files` (it wins over the others)."""
    files = [path for path in st.get_option("secrets.files") if str(path).endswith(".toml")]
    return Path(files[-1]) if files else Path(".streamlit/secrets.toml")


@st.dialog("Connect your model", width="large", on_dismiss=_close_connect)
def connect_dialog() -> None:
    st.markdown(
        "**What runs now.** The offline demo: a small deterministic model on this machine, served by the bundled local "
        "server, so every feature works without Azure. Its answers restate what you write; try `/long 300` or `/fault 500`."
    )
    st.markdown(
        "**Your own model.** An Azure AI Foundry or Azure OpenAI resource (the OpenAI v1 endpoint "
        f"`{EXAMPLE_ENDPOINT}`), OpenAI, or any OpenAI-compatible server."
    )
    settings = resources.get_settings()
    sign_in = auth.auth_enabled()
    permission = may_connect(
        mode=settings.connect_form,
        listen_address=st.get_option("server.address"),
        sign_in=sign_in,
        owner=auth.current_owner() if sign_in else "",
        admins=settings.admins,
    )
    if not permission.allowed:
        st.info(permission.reason, icon=":material/admin_panel_settings:")
        st.markdown(f"An administrator adds these lines to `{secrets_file()}` on the server, then restarts the app:")
        st.code(admin_lines(), language="toml")
        if sign_in:
            st.caption(f"To use this form yourself, an administrator adds your id to `PORTAL_ADMINS`: `{auth.current_owner()}`")
        return
    _connect_form([c.name for c in settings.connections])


def _connect_form(existing: list[str]) -> None:
    with st.form("connect_form", border=False):
        name = st.text_input("Name", value="my-foundry", max_chars=60, help="How the connection appears in the connection picker")
        endpoint = st.text_input("Endpoint URL", placeholder=EXAMPLE_ENDPOINT)
        auth_choice = st.radio("Sign in with", AUTH_CHOICES, format_func=AUTH_LABELS.get, horizontal=True)
        key = st.text_input("API key", type="password", help="Saved only in secrets.toml (owner-only file permissions); never shown again")
        model = st.text_input("Model or deployment", placeholder="gpt-4o-mini")
        submitted = st.form_submit_button("Test and save", type="primary", icon=":material/network_check:")
    st.caption(f"Saved as `[connections.<name>]` in `{secrets_file()}`, readable by your user only.")
    if submitted:
        form = ConnectForm(name=name, endpoint=endpoint, auth=auth_choice, api_key=Secret(key) if key else None, model=model)
        _test_and_save(form, existing)


def _test_and_save(form: ConnectForm, existing: list[str]) -> None:
    from portal.inference import make_backend
    from portal.probes import probe_chat

    try:
        connection = connection_from_form(form, tuple(existing))
    except ConfigError as exc:
        st.error("  \n".join(exc.lines))  # one line each
        return
    backend = make_backend(connection, read_timeout_seconds=30)
    try:
        with st.spinner("Sending a test message…"):
            result = probe_chat(backend, connection)
    finally:
        backend.close()
    if not result.ok:
        st.error(f"The test message failed, so nothing was saved. {result.detail}")
        return
    try:
        save_connection(secrets_file(), form)
    except OSError as exc:
        st.error(f"The connection works but could not be saved to {secrets_file()}: {exc.strerror or exc}.")
        return
    reload = getattr(st.secrets, "_reset", None)  # Streamlit reloads an edited secrets.toml only if it existed at start
    if callable(reload):
        reload()
    st.session_state[state.CONNECTION] = connection.name
    first = f"first token in {result.first_token_ms:,.0f} ms" if result.first_token_ms is not None else "it answered"
    notices.remember_success(f"Connected to **{connection.name}** ({first}). It is saved, and selected for this session.")
    _close_connect()
    st.rerun()
