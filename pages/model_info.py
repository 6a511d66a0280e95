"""Model info: what the selected endpoint serves (GET /info through the SDK)."""

import streamlit as st

from components import resources
from portal.errors import InferenceError


def main() -> None:
    st.title("Model info")
    connection = resources.current_connection()
    backend = resources.get_backend(connection)
    st.write(f"Endpoint kind: **{connection.kind.value}** · chat model: `{connection.chat_model or 'endpoint default'}`")
    if not connection.traits.has_info:
        st.info(f"{connection.kind.value} endpoints do not answer `/info`; the configured deployments are listed above.")
        return
    try:
        info = backend.model_info()
    except InferenceError as exc:
        st.error(exc.user_message())
        return
    st.metric("Model", info.model_name)
    col1, col2 = st.columns(2)
    col1.metric("Provider", info.model_provider_name)
    col2.metric("Type", info.model_type)


main()
