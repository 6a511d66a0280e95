"""Model info: what the selected endpoint serves, which client type it needs, and how fast it answers."""

import pandas as pd
import streamlit as st

from components import resources
from components.figures import latency_figure
from components.router_guard import require_router
from portal.errors import ErrorKind, InferenceError
from portal.probes import latency_probe, probe_capabilities
from portal.settings import INFO_UNSUPPORTED_REASONS, describe_connection


@st.cache_data(ttl=300, show_spinner="Probing the endpoint…")
def _capabilities(connection_name: str, endpoint: str, models: tuple):  # endpoint and models: an edited connection re-probes
    connection = resources.current_connection()
    return probe_capabilities(resources.get_backend(connection), connection)


def _capability_table(results) -> None:
    rows = [
        {
            "Capability": r.capability,
            "Answers": "yes" if r.ok else "no",
            "Model": r.model or "",
            "Detail": r.detail,
            "Latency (ms)": round(r.latency_ms, 1),
        }
        for r in results
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def main() -> None:
    require_router()
    st.title("Model info")
    connection = resources.current_connection()
    backend = resources.get_backend(connection)
    with st.expander("Connection", expanded=True):
        st.table(pd.Series(describe_connection(connection), name="value"))

    st.subheader("GET /info")
    if connection.traits.has_info:
        try:
            info = backend.model_info()
        except InferenceError as exc:
            if exc.kind == ErrorKind.NOT_FOUND:
                st.info("This endpoint does not answer `/info` (404). It may serve several models; see the capabilities below.")
            else:
                st.error(exc.user_message())
        else:
            name, provider, kind = st.columns(3)
            name.metric("Model", info.model_name)
            provider.metric("Provider", info.model_provider_name)
            kind.metric("Type", info.model_type)
    else:
        st.info(INFO_UNSUPPORTED_REASONS.get(connection.kind, "This endpoint kind has no `/info` route.") + " What the endpoint can do instead:")
        _capability_table(_capabilities(connection.name, connection.endpoint, (connection.chat_model, connection.embeddings_model)))

    st.subheader("Client type")
    if st.button("Detect with load_client()", help="load_client() reads /info and picks the SDK client class"):
        try:
            st.success(f"`load_client()` returns **{backend.detect_client_type()}** for this endpoint.")
        except InferenceError as exc:
            st.warning(f"`load_client()` cannot decide: {exc.user_message()} Use ChatCompletionsClient or EmbeddingsClient directly.")

    st.subheader("Connection test and latency")
    runs = st.slider("Calls per kind", 1, 10, 3)
    if st.button("Run connection test", type="primary"):
        _capability_table(probe_capabilities(backend, connection))
        samples = latency_probe(backend, connection, runs=runs)
        st.plotly_chart(latency_figure(samples), width="stretch")
        failures = [s for s in samples if not s.ok]
        for sample in failures:
            st.error(f"Run {sample.run} {sample.call}: {sample.error_kind}")
        chat = [s for s in samples if s.call == "chat" and s.ok and s.tokens_per_second]
        if chat:
            st.caption(f"Mean tokens per second: {sum(s.tokens_per_second for s in chat) / len(chat):,.1f}")


main()
