"""The connection picker (rendered by the router so it survives page switches) and the backend banner."""

from __future__ import annotations

import streamlit as st

from portal.inference.endpoints import API_OPENAI
from portal.settings import ConfigError

from . import resources, state


def connection_picker() -> None:
    try:
        settings = resources.get_settings()
    except ConfigError as exc:
        st.error(f"Configuration problem: {exc}")
        st.stop()
    names = [c.name for c in settings.connections]
    if st.session_state.get(state.CONNECTION) not in names:
        st.session_state[state.CONNECTION] = names[0]
    if len(names) > 1:
        st.sidebar.selectbox("Connection", names, key=state.CONNECTION)


def backend_banner() -> None:
    connection = resources.current_connection()
    if connection.offline:
        api = "the OpenAI v1 API" if connection.api == API_OPENAI else "the Azure AI Model Inference API"
        st.info(
            f"Running on the **offline** demo backend: the bundled local server at `{connection.endpoint}` "
            f"answers through {api} with deterministic local models. Set `AZURE_INFERENCE_ENDPOINT` to use Azure.",
            icon=":material/cloud_off:",
        )
    else:
        st.caption(f"Connection **{connection.name}** · {connection.kind.value} · `{connection.endpoint}`")
