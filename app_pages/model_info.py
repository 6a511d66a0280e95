"""Model info: what the selected endpoint serves, which client type it needs, and how fast it answers."""

import pandas as pd
import streamlit as st

from components import resources
from components.figures import latency_figure
from portal.inference import ErrorKind, InferenceError
from portal.inference.endpoints import API_OPENAI
from portal.probes import latency_probe, probe_capabilities
from portal.settings import INFO_UNSUPPORTED_REASONS, describe_connection

RETIRED_API_NOTE = (
    "`/info` and `load_client()` belong to the Azure AI Model Inference API, which Microsoft retired on "
    "2026-08-26. The OpenAI v1 API has neither: the list above and the probes below say what this endpoint serves."
)


@st.cache_data(ttl=300, show_spinner="Probing the endpoint…")
def _capabilities(connection_name: str, endpoint: str, models: tuple[str | None, str | None]):  # an edited connection re-probes
    connection = resources.current_connection()
    return probe_capabilities(resources.get_backend(connection), connection, *models)


def _probe_models(connection) -> tuple[str | None, str | None]:
    """The models the probes call: the configured ones, else the first the endpoint lists."""
    choices = resources.get_model_choices(connection)
    return connection.chat_model or choices.default_chat, connection.embeddings_model or choices.default_embeddings


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


def _served_models(connection, listing: str) -> None:
    st.subheader("Deployments" if listing == "deployments" else "Models")
    choices = resources.get_model_choices(connection)
    if choices.listed:
        rows = [{"Name": m.name, "Kind": m.kind, "Model": m.model or "", "Version": m.version or ""} for m in choices.listed]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        where = "GET /openai/deployments" if listing == "deployments" else "GET /models"
        st.caption(f"{len(rows)} listed by the endpoint ({where}); the chat and embeddings pickers offer them.")
    elif choices.note:
        st.warning(choices.note)
    else:
        st.caption("The connection's configured model lists are used; the endpoint was not asked.")
    if st.button("Refresh the list", icon=":material/refresh:"):
        resources.refresh_model_choices()
        st.rerun()


def main() -> None:
    st.title("Model info")
    connection = resources.current_connection()
    backend = resources.get_backend(connection)
    features = backend.features()
    with st.expander("Connection", expanded=True):
        st.table(pd.Series(describe_connection(connection), name="value"))

    if features.model_listing:
        _served_models(connection, features.model_listing)

    st.subheader("GET /info")
    if features.model_info:
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
        reason = RETIRED_API_NOTE if connection.api == API_OPENAI else INFO_UNSUPPORTED_REASONS.get(connection.kind, "This endpoint kind has no `/info` route.")
        st.info(reason + " What the endpoint can do:")
        _capability_table(_capabilities(connection.name, connection.endpoint, _probe_models(connection)))

    st.subheader("Client type")
    if connection.api != API_OPENAI:
        if st.button("Detect with load_client()", help="load_client() reads /info and picks the SDK client class"):
            try:
                st.success(f"`load_client()` returns **{backend.detect_client_type()}** for this endpoint.")
            except InferenceError as exc:
                st.warning(f"`load_client()` cannot decide: {exc.user_message()} Use ChatCompletionsClient or EmbeddingsClient directly.")
    elif connection.api == API_OPENAI:
        st.caption("The OpenAI v1 API has one client (`openai.OpenAI`) for chat and embeddings; `load_client()` belonged to the retired API.")

    st.subheader("Connection test and latency")
    runs = st.slider("Calls per kind", 1, 10, 3)
    if st.button("Run connection test", type="primary"):
        chat_model, embeddings_model = _probe_models(connection)
        _capability_table(probe_capabilities(backend, connection, chat_model, embeddings_model))
        samples = latency_probe(backend, connection, runs=runs, chat_model=chat_model, embeddings_model=embeddings_model)
        st.plotly_chart(latency_figure(samples), width="stretch")
        failures = [s for s in samples if not s.ok]
        for sample in failures:
            st.error(f"Run {sample.run} {sample.call}: {sample.error_kind}")
        rates = [rate for s in samples if s.call == "chat" and s.ok and (rate := s.tokens_per_second)]
        if rates:
            st.caption(f"Mean tokens per second: {sum(rates) / len(rates):,.1f}")


main()
